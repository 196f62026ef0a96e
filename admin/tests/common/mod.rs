//! What the admin tests share: chime-local on 127.0.0.1 with SDK clients for it, and an app
//! instance whose service user is an AppInstanceAdmin.

#![allow(dead_code)]

use chime_admin::Clients;
use chime_admin::api::{AdminApi, AdminConfig, Allowed};

/// chime-local on a free loopback port, and clients signed for it.
pub async fn local() -> (chime_local::Running, Clients) {
    let running = chime_local::start(chime_local::Config::default(), ([127, 0, 0, 1], 0).into())
        .await
        .expect("chime-local starts");
    let sdk = chime_local::demo::local_config(&running.endpoint, "us-east-1")
        .load()
        .await;
    (running, Clients::new(&sdk))
}

/// A new app instance and its service user, made an AppInstanceAdmin.
pub async fn instance_with_admin(clients: &Clients, name: &str) -> (String, String) {
    let instance = clients
        .identity
        .create_app_instance()
        .name(name)
        .send()
        .await
        .expect("CreateAppInstance")
        .app_instance_arn
        .unwrap_or_default();
    let admin = user(clients, &instance, "service").await;
    clients
        .identity
        .create_app_instance_admin()
        .app_instance_arn(&instance)
        .app_instance_admin_arn(&admin)
        .send()
        .await
        .expect("CreateAppInstanceAdmin");
    (instance, admin)
}

pub async fn user(clients: &Clients, instance: &str, id: &str) -> String {
    clients
        .identity
        .create_app_instance_user()
        .app_instance_arn(instance)
        .app_instance_user_id(id)
        .name(id)
        .send()
        .await
        .expect("CreateAppInstanceUser")
        .app_instance_user_arn
        .unwrap_or_default()
}

/// The admin API's layer acting as `service_user`, everything allowed, no queue.
pub fn admin_api(clients: &Clients, service_user: &str) -> AdminApi {
    AdminApi {
        model: chime_api::Model::load().expect("the models load"),
        clients: clients.clone(),
        config: AdminConfig {
            service_user: service_user.to_owned(),
            allowed: Allowed::All,
            caller_bearer: false,
            batch_concurrency: 4,
        },
        queue: None,
    }
}
