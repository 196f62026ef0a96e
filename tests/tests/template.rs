//! The SAM template's security and build properties, read from `template.yaml`, so that they cannot
//! regress unnoticed: least privilege for every function, Chime's invoke permission scoped to this
//! account's app instance, every function package deployed arm64 on provided.al2023 and built by
//! cargo-lambda, never from SAM's build cache and one at a time (`samconfig.toml`). (cfn-lint and
//! `sam validate --lint` check the rest, in `.ci/run`.)

use std::path::{Path, PathBuf};

use serde_yaml_ng::Value;

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map(Path::to_owned)
        .unwrap_or_default()
}

fn template() -> Value {
    let text = std::fs::read_to_string(root().join("template.yaml")).expect("template.yaml");
    serde_yaml_ng::from_str(&text).expect("template.yaml is YAML")
}

/// `!Tag value` → ("!Tag", value).
fn tagged(value: &Value) -> Option<(String, &Value)> {
    match value {
        Value::Tagged(t) => Some((t.tag.to_string(), &t.value)),
        _ => None,
    }
}

fn text(value: &Value) -> Option<&str> {
    value.as_str()
}

fn resources(template: &Value) -> Vec<(String, &Value)> {
    template["Resources"]
        .as_mapping()
        .expect("Resources")
        .iter()
        .map(|(k, v)| (k.as_str().unwrap_or_default().to_owned(), v))
        .collect()
}

fn of_type<'t>(template: &'t Value, kind: &str) -> Vec<(String, &'t Value)> {
    resources(template)
        .into_iter()
        .filter(|(_, r)| text(&r["Type"]) == Some(kind))
        .collect()
}

/// A property of a function, falling back to `Globals.Function`.
fn function_property<'t>(template: &'t Value, function: &'t Value, name: &str) -> &'t Value {
    let own = &function["Properties"][name];
    if own.is_null() {
        &template["Globals"]["Function"][name]
    } else {
        own
    }
}

/// The app instance ARN expression the template uses everywhere.
fn is_app_instance(value: &Value) -> bool {
    let Some((tag, inner)) = tagged(value) else {
        return false;
    };
    if tag != "!If" {
        return false;
    }
    let branches = inner.as_sequence().cloned().unwrap_or_default();
    let created = branches.get(1).and_then(tagged);
    let existing = branches.get(2).and_then(tagged);
    matches!(created, Some((t, v)) if t == "!GetAtt" && text(v) == Some("AppInstance.AppInstanceArn"))
        && matches!(existing, Some((t, v)) if t == "!Ref" && text(v) == Some("ExistingAppInstanceArn"))
}

/// Every IAM statement of a function's inline policies.
fn statements(function: &Value) -> Vec<&Value> {
    function["Properties"]["Policies"]
        .as_sequence()
        .map(|policies| {
            policies
                .iter()
                .flat_map(|p| p["Statement"].as_sequence().into_iter().flatten())
                .collect()
        })
        .unwrap_or_default()
}

/// A function's conditional policies (`!If [Condition, policy, !Ref AWS::NoValue]`): the condition,
/// the policy's statements, and whether the other branch is "no policy".
fn conditional_policies(function: &Value) -> Vec<(String, Vec<&Value>, bool)> {
    function["Properties"]["Policies"]
        .as_sequence()
        .into_iter()
        .flatten()
        .filter_map(tagged)
        .filter(|(tag, _)| tag == "!If")
        .map(|(_, branches)| {
            let condition = text(&branches[0]).unwrap_or_default().to_owned();
            let statements = branches[1]["Statement"].as_sequence().into_iter().flatten().collect();
            let nothing_else = matches!(tagged(&branches[2]), Some((t, v)) if t == "!Ref" && text(v) == Some("AWS::NoValue"));
            (condition, statements, nothing_else)
        })
        .collect()
}

fn as_list(value: &Value) -> Vec<&Value> {
    match value.as_sequence() {
        Some(items) => items.iter().collect(),
        None => vec![value],
    }
}

const PROCESSORS: &[&str] = &[
    "FlowPipelineFunction",
    "ModerationDenyFunction",
    "ContentRedactionFunction",
    "MetadataEnrichmentFunction",
];

#[test]
fn every_function_package_is_deployed_arm64_on_al2023_built_by_cargo_lambda() {
    let template = template();
    let functions = of_type(&template, "AWS::Serverless::Function");
    let mut packages: Vec<String> = std::fs::read_dir(root().join("functions"))
        .expect("functions/")
        .filter_map(|e| e.ok())
        .filter(|e| e.path().join("Cargo.toml").is_file())
        .map(|e| format!("functions/{}", e.file_name().to_string_lossy()))
        .collect();
    packages.sort();
    let mut deployed: Vec<String> = functions
        .iter()
        .map(|(_, f)| {
            text(&f["Properties"]["CodeUri"])
                .unwrap_or_default()
                .to_owned()
        })
        .collect();
    deployed.sort();
    assert_eq!(deployed, packages, "one function per package, each once");
    for (name, function) in &functions {
        assert_eq!(
            text(function_property(&template, function, "Runtime")),
            Some("provided.al2023"),
            "{name}"
        );
        let architectures = function_property(&template, function, "Architectures");
        let architectures: Vec<&str> = as_list(architectures)
            .into_iter()
            .filter_map(text)
            .collect();
        assert_eq!(architectures, ["arm64"], "{name}");
        assert_eq!(
            text(function_property(&template, function, "Handler")),
            Some("bootstrap"),
            "{name}"
        );
        assert_eq!(
            text(&function["Metadata"]["BuildMethod"]),
            Some("rust-cargolambda"),
            "{name}"
        );
        let logging = function_property(&template, function, "LoggingConfig");
        let format = if logging["LogFormat"].is_null() {
            &template["Globals"]["Function"]["LoggingConfig"]["LogFormat"]
        } else {
            &logging["LogFormat"]
        };
        assert_eq!(text(format), Some("JSON"), "{name}: JSON logs");
    }
}

/// `!GetAtt X.Arn` of one of this stack's queues.
fn is_stack_queue(value: &Value) -> bool {
    matches!(tagged(value), Some((tag, inner)) if tag == "!GetAtt"
        && matches!(text(inner), Some("MembershipQueue.Arn" | "MembershipDeadLetterQueue.Arn" | "FailedEventsQueue.Arn")))
}

/// `!GetAtt P.Arn` of one of this stack's processors.
fn is_stack_processor(value: &Value) -> bool {
    matches!(tagged(value), Some((tag, inner)) if tag == "!GetAtt"
        && PROCESSORS.iter().any(|p| text(inner) == Some(format!("{p}.Arn").as_str())))
}

/// `!GetAtt X` (or `!Ref X`) naming `resource` (`Queue.QueueName`, `Function`).
fn names(value: &Value, resource: &str) -> bool {
    matches!(tagged(value), Some((tag, inner)) if (tag == "!GetAtt" || tag == "!Ref") && text(inner) == Some(resource))
}

/// Unconditional statements only: the one conditional grant (Comprehend, whose action takes no
/// resource but "*") is checked on its own below.
#[test]
fn no_wildcard_action_or_resource_anywhere() {
    let template = template();
    for (name, function) in of_type(&template, "AWS::Serverless::Function") {
        for statement in statements(function) {
            let resources = as_list(&statement["Resource"]);
            for action in as_list(&statement["Action"]) {
                let action = text(action).unwrap_or_default();
                let sqs_on_our_queues = matches!(
                    action,
                    "sqs:SendMessage"
                        | "sqs:ReceiveMessage"
                        | "sqs:DeleteMessage"
                        | "sqs:ChangeMessageVisibility"
                ) && resources.iter().all(|r| is_stack_queue(r));
                let invoke_our_processors = action == "lambda:InvokeFunction"
                    && resources.iter().all(|r| is_stack_processor(r));
                assert!(
                    !action.contains('*')
                        && (action.starts_with("chime:")
                            || sqs_on_our_queues
                            || invoke_our_processors),
                    "{name}: action {action:?}"
                );
            }
            for resource in resources {
                assert_ne!(text(resource), Some("*"), "{name}: a wildcard resource");
            }
        }
    }
}

/// No event is lost: each processor's failed events (after Lambda's two retries, or older than 6
/// hours) go to the encrypted 14-day failure queue — SAM grants the processor sqs:SendMessage on
/// that queue alone — and the admin API may take them from there and invoke only the processors.
#[test]
fn every_processor_keeps_its_failed_events_and_only_the_admin_api_replays_them() {
    let template = template();
    let queue = &template["Resources"]["FailedEventsQueue"];
    assert_eq!(text(&queue["Type"]), Some("AWS::SQS::Queue"));
    assert_eq!(
        queue["Properties"]["MessageRetentionPeriod"].as_u64(),
        Some(1_209_600)
    );
    // SQS-managed encryption, or the customer-managed key when EncryptionKeyArn is given.
    let (tag, choice) = tagged(&queue["Properties"]["SqsManagedSseEnabled"]).expect("an !If");
    assert_eq!(tag, "!If");
    assert_eq!(text(&choice[0]), Some("HasEncryptionKey"));
    assert_eq!(choice[2].as_bool(), Some(true));
    let (tag, key) = tagged(&queue["Properties"]["KmsMasterKeyId"]).expect("an !If");
    assert_eq!(
        (tag.as_str(), text(&key[0])),
        ("!If", Some("HasEncryptionKey"))
    );
    for name in PROCESSORS {
        let config = &template["Resources"][*name]["Properties"]["EventInvokeConfig"];
        assert_eq!(config["MaximumRetryAttempts"].as_u64(), Some(2), "{name}");
        assert!(
            config["MaximumEventAgeInSeconds"]
                .as_u64()
                .is_some_and(|age| (60..=21_600).contains(&age)),
            "{name}"
        );
        let on_failure = &config["DestinationConfig"]["OnFailure"];
        assert_eq!(text(&on_failure["Type"]), Some("SQS"), "{name}");
        assert!(
            names(&on_failure["Destination"], "FailedEventsQueue.Arn"),
            "{name}"
        );
    }
    let admin = &template["Resources"]["AdminApiFunction"];
    let variables = &admin["Properties"]["Environment"]["Variables"];
    assert!(names(
        &variables["FAILED_EVENTS_QUEUE_URL"],
        "FailedEventsQueue"
    ));
    let granted = statements(admin);
    let take = granted
        .iter()
        .find(|s| text(&s["Sid"]) == Some("TakeFailedEventsToReplay"))
        .expect("the replay's queue statement");
    assert!(names(&take["Resource"], "FailedEventsQueue.Arn"));
    let invoke = granted
        .iter()
        .find(|s| text(&s["Sid"]) == Some("ReplayThroughTheProcessors"))
        .expect("the replay's invoke statement");
    let invoked: Vec<&Value> = as_list(&invoke["Resource"]);
    assert_eq!(invoked.len(), PROCESSORS.len());
    assert!(invoked.into_iter().all(is_stack_processor));
    // Nobody else reads the failure queue or invokes functions.
    for (name, function) in of_type(&template, "AWS::Serverless::Function") {
        if name == "AdminApiFunction" {
            continue;
        }
        for statement in statements(function) {
            for action in as_list(&statement["Action"]) {
                let action = text(action).unwrap_or_default();
                assert!(
                    !matches!(action, "sqs:ReceiveMessage" | "sqs:DeleteMessage")
                        || !as_list(&statement["Resource"])
                            .iter()
                            .any(|r| names(r, "FailedEventsQueue.Arn")),
                    "{name}: {action} on the failure queue"
                );
                assert_ne!(action, "lambda:InvokeFunction", "{name}");
            }
        }
    }
}

/// The alarms exist, watch the right resources and notify the topic when one is given; the dashboard
/// shows the decision mix, latencies and failures of this stack's resources.
#[test]
fn alarms_and_the_dashboard_watch_this_stacks_resources() {
    let template = template();
    let alarm = |name: &str| {
        let alarm = &template["Resources"][name];
        assert_eq!(
            text(&alarm["Type"]),
            Some("AWS::CloudWatch::Alarm"),
            "{name}"
        );
        let props = &alarm["Properties"];
        for actions in ["AlarmActions", "OKActions"] {
            let (tag, branches) = tagged(&props[actions]).expect("a conditional action");
            assert_eq!(tag, "!If", "{name}");
            assert_eq!(text(&branches[0]), Some("HasAlarmTopic"), "{name}");
            assert!(names(&branches[1][0], "AlarmTopicArn"), "{name}");
        }
        assert_eq!(
            text(&props["TreatMissingData"]),
            Some("notBreaching"),
            "{name}"
        );
        props.clone()
    };
    let dimension = |props: &Value, dimension: &str| {
        props["Dimensions"]
            .as_sequence()
            .and_then(|dims| dims.iter().find(|d| text(&d["Name"]) == Some(dimension)))
            .map(|d| d["Value"].clone())
            .unwrap_or(Value::Null)
    };
    let failed = alarm("FailedEventsAlarm");
    assert_eq!(
        text(&failed["MetricName"]),
        Some("ApproximateNumberOfMessagesVisible")
    );
    assert!(names(
        &dimension(&failed, "QueueName"),
        "FailedEventsQueue.QueueName"
    ));
    assert_eq!(failed["Threshold"].as_u64(), Some(0));
    let dead = alarm("MembershipDeadLetterAlarm");
    assert!(names(
        &dimension(&dead, "QueueName"),
        "MembershipDeadLetterQueue.QueueName"
    ));
    let five_xx = alarm("AdminApi5xxAlarm");
    assert_eq!(text(&five_xx["MetricName"]), Some("5xx"));
    assert!(names(&dimension(&five_xx, "ApiId"), "AdminHttpApi"));
    for (name, namespace, wanted) in [
        ("ProcessorErrorsAlarm", "AWS/Lambda", "Errors"),
        ("ProcessorThrottlesAlarm", "AWS/Lambda", "Throttles"),
        ("CallbackRetriesAlarm", "ChimeFlowKit", "CallbackRetries"),
    ] {
        let props = alarm(name);
        let stats: Vec<&Value> = props["Metrics"]
            .as_sequence()
            .into_iter()
            .flatten()
            .filter(|m| !m["MetricStat"].is_null())
            .collect();
        let mut watched: Vec<String> = Vec::new();
        for stat in &stats {
            let metric = &stat["MetricStat"]["Metric"];
            assert_eq!(text(&metric["Namespace"]), Some(namespace), "{name}");
            assert_eq!(metric_name(metric), wanted, "{name}");
            let value = &metric["Dimensions"][0]["Value"];
            let (_, function) = tagged(value).expect("!Ref a processor");
            watched.push(text(function).unwrap_or_default().to_owned());
        }
        watched.sort();
        let mut processors: Vec<String> = PROCESSORS.iter().map(|p| (*p).to_owned()).collect();
        processors.sort();
        assert_eq!(watched, processors, "{name}: every processor");
    }
    // The processors' metrics are the ones the runtime writes.
    assert_eq!(chime_flow::metrics::NAMESPACE, "ChimeFlowKit");
    let dashboard = &template["Resources"]["OperationsDashboard"];
    assert_eq!(text(&dashboard["Type"]), Some("AWS::CloudWatch::Dashboard"));
    let (tag, sub) = tagged(&dashboard["Properties"]["DashboardBody"]).expect("a !Sub body");
    assert_eq!(tag, "!Sub");
    let body = text(&sub[0]).unwrap_or_default();
    for needle in [
        "\"Decisions\"",
        "\"DecideLatency\"",
        "\"CallbackLatency\"",
        "${FailedQueue}",
        "\"Errors\"",
    ] {
        assert!(body.contains(needle), "the dashboard shows {needle}");
    }
    assert!(names(&sub[1]["FailedQueue"], "FailedEventsQueue.QueueName"));
    assert!(names(&sub[1]["Pipeline"], "FlowPipelineFunction"));
}

fn metric_name(metric: &Value) -> &str {
    text(&metric["MetricName"]).unwrap_or_default()
}

#[test]
fn processors_may_only_call_back_on_the_app_instances_channels() {
    let template = template();
    for name in PROCESSORS {
        let function = &template["Resources"][*name];
        let statements = statements(function);
        assert_eq!(statements.len(), 1, "{name}: exactly one statement");
        let statement = statements[0];
        assert_eq!(text(&statement["Effect"]), Some("Allow"), "{name}");
        assert_eq!(
            text(&statement["Action"]),
            Some("chime:ChannelFlowCallback"),
            "{name}: only the callback"
        );
        let (tag, sub) = tagged(&statement["Resource"]).expect("a !Sub resource");
        assert_eq!(tag, "!Sub", "{name}");
        let parts = sub.as_sequence().expect("!Sub [pattern, variables]");
        assert_eq!(
            text(&parts[0]),
            Some("${Instance}/channel/*"),
            "{name}: the app instance's channels"
        );
        assert!(
            is_app_instance(&parts[1]["Instance"]),
            "{name}: ${{Instance}}"
        );
    }
}

#[test]
fn chime_may_invoke_each_processor_only_for_this_accounts_app_instance() {
    let template = template();
    let permissions = of_type(&template, "AWS::Lambda::Permission");
    for name in PROCESSORS {
        let permission = permissions
            .iter()
            .map(|(_, p)| &p["Properties"])
            .find(|p| {
                tagged(&p["FunctionName"])
                    .is_some_and(|(t, v)| t == "!Ref" && text(v) == Some(name))
            })
            .unwrap_or_else(|| panic!("no invoke permission for {name}"));
        assert_eq!(
            text(&permission["Principal"]),
            Some("messaging.chime.amazonaws.com")
        );
        assert_eq!(text(&permission["Action"]), Some("lambda:InvokeFunction"));
        let account = tagged(&permission["SourceAccount"]).expect("SourceAccount");
        assert_eq!(
            (account.0.as_str(), text(account.1)),
            ("!Ref", Some("AWS::AccountId"))
        );
        assert!(
            is_app_instance(&permission["SourceArn"]),
            "{name}: SourceArn"
        );
    }
}

#[test]
fn the_flow_runs_the_pipeline_and_the_setup_wires_the_flow() {
    let template = template();
    let flow = &template["Resources"]["ChannelFlow"]["Properties"];
    assert!(is_app_instance(&flow["AppInstanceArn"]));
    let processors = flow["Processors"].as_sequence().expect("Processors");
    assert_eq!(processors.len(), 1, "one processor: the default quota");
    let lambda = &processors[0]["Configuration"]["Lambda"];
    let target = tagged(&lambda["ResourceArn"]).expect("!GetAtt");
    assert_eq!(
        (target.0.as_str(), text(target.1)),
        ("!GetAtt", Some("FlowPipelineFunction.Arn"))
    );
    assert_eq!(text(&lambda["InvocationType"]), Some("ASYNC"));
    let setup = &template["Resources"]["ChimeFlowSetup"];
    assert_eq!(text(&setup["Type"]), Some("Custom::ChimeFlowSetup"));
    let token = tagged(&setup["Properties"]["ServiceToken"]).expect("ServiceToken");
    assert_eq!(text(token.1), Some("StackSetupFunction.Arn"));
    for property in [
        "AppInstanceArn",
        "AdminArn",
        "ChannelFlowArn",
        "ChannelArns",
    ] {
        assert!(!setup["Properties"][property].is_null(), "{property}");
    }
    for output in [
        "AppInstanceArn",
        "ServiceUserArn",
        "ChannelFlowArn",
        "FlowPipelineFunctionArn",
    ] {
        assert!(!template["Outputs"][output].is_null(), "output {output}");
    }
}

/// The admin API may call exactly the operations it offers (`chime_admin::api::offered`, from the
/// model), on this app instance and what it holds; GetMessagingSessionEndpoint needs a `*` resource
/// and is left out (a client's call, not a backend's).
#[test]
fn the_admin_api_may_call_exactly_the_operations_it_offers() {
    let template = template();
    let function = &template["Resources"]["AdminApiFunction"];
    let granted_statements = statements(function);
    let chime = granted_statements
        .iter()
        .find(|s| text(&s["Sid"]) == Some("TheOperationsTheApiOffersOnTheAppInstance"))
        .expect("the chime statement");
    let mut granted: Vec<String> = as_list(&chime["Action"])
        .into_iter()
        .filter_map(text)
        .map(|a| a.trim_start_matches("chime:").to_owned())
        .collect();
    granted.sort();
    let model = chime_api::Model::load().expect("the models load");
    let mut offered: Vec<String> = chime_admin::api::offered(&model)
        .into_iter()
        .filter(|op| *op != "GetMessagingSessionEndpoint")
        .map(str::to_owned)
        .collect();
    offered.sort();
    assert_eq!(granted, offered);
    let resources = as_list(&chime["Resource"]);
    assert!(is_app_instance(resources[0]), "the app instance");
    let (tag, sub) = tagged(resources[1]).expect("a !Sub resource");
    assert_eq!(tag, "!Sub");
    let parts = sub.as_sequence().expect("!Sub [pattern, variables]");
    assert_eq!(text(&parts[0]), Some("${Instance}/*"));
    assert!(is_app_instance(&parts[1]["Instance"]));
    let worker = &template["Resources"]["MembershipWorkerFunction"];
    let actions: Vec<&str> = statements(worker)
        .iter()
        .flat_map(|s| as_list(&s["Action"]))
        .filter_map(text)
        .collect();
    assert_eq!(
        actions,
        ["chime:BatchCreateChannelMembership", "sqs:SendMessage"]
    );
    assert_eq!(
        text(&template["Resources"]["AdminHttpApi"]["Properties"]["Auth"]["DefaultAuthorizer"]),
        Some("AWS_IAM"),
        "the admin API is not open to the internet"
    );
}

/// Comprehend's `DetectToxicContent` is granted to the flow pipeline alone, and only when the
/// `ComprehendEscalation` parameter (off by default) turns the escalation on — the same parameter
/// that sets the function's `COMPREHEND_ESCALATION`.
#[test]
fn comprehend_is_granted_only_to_the_pipeline_and_only_when_the_escalation_is_on() {
    let template = template();
    let parameter = &template["Parameters"]["ComprehendEscalation"];
    assert_eq!(text(&parameter["Default"]), Some("off"));
    let (tag, equals) =
        tagged(&template["Conditions"]["ComprehendEscalationOn"]).expect("a condition");
    assert_eq!(tag, "!Equals");
    assert!(
        matches!(tagged(&equals[0]), Some((t, v)) if t == "!Ref" && text(v) == Some("ComprehendEscalation"))
    );
    assert_eq!(text(&equals[1]), Some("on"));
    for (name, function) in of_type(&template, "AWS::Serverless::Function") {
        let conditional: Vec<_> = conditional_policies(function)
            .into_iter()
            .filter(|(condition, _, _)| condition == "ComprehendEscalationOn")
            .collect();
        if name != "FlowPipelineFunction" {
            assert!(conditional.is_empty(), "{name}: no conditional grants");
            continue;
        }
        assert_eq!(conditional.len(), 1, "{name}");
        let (condition, statements, nothing_else) = &conditional[0];
        assert_eq!(condition, "ComprehendEscalationOn");
        assert!(nothing_else, "off: no policy at all");
        assert_eq!(statements.len(), 1);
        assert_eq!(
            text(&statements[0]["Action"]),
            Some("comprehend:DetectToxicContent")
        );
        let variables = &function["Properties"]["Environment"]["Variables"];
        for (var, param) in [
            ("COMPREHEND_ESCALATION", "ComprehendEscalation"),
            (
                "COMPREHEND_TOXICITY_THRESHOLD",
                "ComprehendToxicityThreshold",
            ),
        ] {
            assert!(
                matches!(tagged(&variables[var]), Some((t, v)) if t == "!Ref" && text(v) == Some(param)),
                "{var}"
            );
        }
    }
}

/// The processors' environment as the template sets it: each variable's value, a `!Ref` resolved to
/// its parameter's default, and for a parameter with allowed values every one of them in turn.
fn processor_environments(template: &Value, function: &Value) -> Vec<Vec<(String, String)>> {
    let mut variables: Vec<(String, &Value)> = Vec::new();
    for source in [
        &template["Globals"]["Function"]["Environment"]["Variables"],
        &function["Properties"]["Environment"]["Variables"],
    ] {
        if let Some(map) = source.as_mapping() {
            for (name, value) in map {
                variables.push((name.as_str().unwrap_or_default().to_owned(), value));
            }
        }
    }
    let resolve = |value: &Value| -> Vec<String> {
        match tagged(value) {
            Some((tag, name)) if tag == "!Ref" => {
                let parameter = &template["Parameters"][text(name).unwrap_or_default()];
                let mut values: Vec<String> = as_list(&parameter["AllowedValues"])
                    .into_iter()
                    .filter_map(|v| text(v).map(str::to_owned))
                    .collect();
                values.extend(text(&parameter["Default"]).map(str::to_owned));
                values
            }
            Some(_) => Vec::new(), // an ARN or queue URL: not the stage's business
            None => text(value).map(str::to_owned).into_iter().collect(),
        }
    };
    let defaults: Vec<(String, String)> = variables
        .iter()
        .filter_map(|(name, value)| resolve(value).pop().map(|v| (name.clone(), v)))
        .collect();
    let mut environments = vec![defaults.clone()];
    for (name, value) in &variables {
        for alternative in resolve(value) {
            let mut env = defaults.clone();
            env.retain(|(n, _)| n != name);
            env.push((name.clone(), alternative));
            environments.push(env);
        }
    }
    environments
}

/// Each processor's stages build from every environment the template can give it (each parameter at
/// its default and at each of its allowed values): a parameter the stage cannot read fails here, not
/// at the first cold start in AWS.
#[test]
fn every_processor_builds_from_the_environment_the_template_gives_it() {
    use chime_flow::config::Env;
    let template = template();
    let mut built = 0;
    for (name, function) in of_type(&template, "AWS::Serverless::Function") {
        let code = text(&function["Properties"]["CodeUri"]).unwrap_or_default();
        let Some(entry) = code
            .strip_prefix("functions/")
            .and_then(chime_flow::stages::catalog::by_function)
        else {
            continue;
        };
        for env in processor_environments(&template, function) {
            let pairs: Vec<(&str, &str)> =
                env.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
            if let Err(error) = (entry.build)(&Env::from_pairs(pairs.iter().copied())) {
                panic!("{name} with {env:?}: {error}");
            }
            built += 1;
        }
    }
    assert!(
        built >= 4 * 2,
        "every processor, with its alternatives: {built}"
    );
}

/// SAM's build cache keys a function on its CodeUri (`functions/<name>`) alone: with it on, a change
/// in `shared/` or `Cargo.lock` would deploy the previous build. Every build section keeps it off,
/// and builds one function at a time: cargo-lambda moves each binary out of the shared target
/// directory, and builds side by side raced to move the same file.
#[test]
fn sam_builds_are_never_taken_from_its_cache() {
    let path = root().join("samconfig.toml");
    let config =
        std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let mut section = String::new();
    let mut build_sections = 0;
    for line in config.lines().map(str::trim) {
        if line.starts_with('[') {
            section = line.to_owned();
            build_sections += usize::from(section.ends_with(".build.parameters]"));
            continue;
        }
        let setting: String = line.chars().filter(|c| !c.is_whitespace()).collect();
        if setting.starts_with("cached=") {
            assert_eq!(
                setting, "cached=false",
                "{section} turns SAM's build cache on"
            );
        }
        if setting.starts_with("parallel=") {
            assert_eq!(
                setting, "parallel=false",
                "{section} builds functions side by side"
            );
        }
    }
    assert!(build_sections >= 1, "samconfig.toml has no build section");
}
