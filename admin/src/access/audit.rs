//! One audit line per call: who, what, on which ARNs, as which bearer, and how it ended — never a
//! message's content, metadata or attributes. A port, so the function writes JSON log lines and the
//! tests read what was written.

use serde::Serialize;

/// What one call left in the audit log.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AuditLine {
    /// Who called (the IAM ARN, `jwt:ISSUER#SUB`, `lambda-invoke`).
    pub principal: String,
    /// The operation asked for.
    pub operation: String,
    /// The ARNs the request named (channels, users, app instances…), never content.
    pub targets: Vec<String>,
    /// The Chime bearer the call was made as, when it got that far.
    pub bearer: Option<String>,
    /// The policy statement that granted it.
    pub statement: Option<String>,
    /// `ok`, `denied` (by the policy) or `failed` (refused by validation or by Chime, or unreachable).
    pub outcome: &'static str,
    /// The HTTP status answered.
    pub status: u16,
    /// The error's name, when it failed.
    pub error: Option<String>,
    /// API Gateway's request id, or the Lambda request id of a direct invocation.
    pub request_id: Option<String>,
}

/// Where audit lines go.
pub trait AuditLog: Send + Sync {
    /// Writes one line.
    fn write(&self, line: &AuditLine);
}

/// Audit lines as JSON log lines (target `audit`), beside the function's other logs.
#[derive(Debug, Default, Clone, Copy)]
pub struct TracingAudit;

impl AuditLog for TracingAudit {
    fn write(&self, line: &AuditLine) {
        let targets = line.targets.join(" ");
        tracing::info!(target: "audit", principal = %line.principal, operation = %line.operation,
            targets = %targets, bearer = line.bearer.as_deref(), statement = line.statement.as_deref(),
            outcome = line.outcome, status = line.status, error = line.error.as_deref(),
            request_id = line.request_id.as_deref(), "audit");
    }
}

/// Audit lines kept in memory (tests, local tools).
#[derive(Debug, Default)]
pub struct MemoryAudit {
    lines: std::sync::Mutex<Vec<AuditLine>>,
}

impl MemoryAudit {
    /// Every line written so far.
    pub fn lines(&self) -> Vec<AuditLine> {
        self.lines.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }
}

impl AuditLog for MemoryAudit {
    fn write(&self, line: &AuditLine) {
        self.lines
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(line.clone());
    }
}
