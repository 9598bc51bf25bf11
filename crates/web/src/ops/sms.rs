//! Messages to residents. The text is rendered here from a template key and
//! parameters (zh-CN: SMS in China is read in Chinese); delivery is a
//! `SmsSender`: a log line for the demo and tests, or an HTTP gateway.

use std::time::Duration;

use grassroots_store::appeals::OutboxMessage;

/// How messages leave the platform.
#[derive(Clone, Debug)]
pub enum SmsSender {
    /// Write each message to the log (demo, development, tests).
    Log,
    /// POST `{"id", "to", "text"}` as JSON to a gateway; `id` is the
    /// outbox id, for the gateway to drop a retried duplicate.
    Http {
        url: String,
        token: Option<Redacted>,
    },
}

/// A secret that never shows in `Debug` output or logs.
#[derive(Clone)]
pub struct Redacted(pub String);

impl std::fmt::Debug for Redacted {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("[redacted]")
    }
}

fn param<'a>(m: &'a OutboxMessage, key: &str) -> &'a str {
    m.params.get(key).and_then(|v| v.as_str()).unwrap_or("")
}

/// The message text for a template.
pub fn render(m: &OutboxMessage) -> String {
    let code = param(m, "tracking_code");
    match m.template.as_str() {
        "appeal_received" => {
            format!("【12345】您的诉求已受理，查询码 {code}，可凭此码查询办理进度。")
        }
        "appeal_replied" => format!("【12345】您的诉求（{code}）已答复，请凭查询码查看并评价。"),
        "appeal_reopened" => format!("【12345】您的诉求（{code}）将重新办理。"),
        "appeal_closed" => format!(
            "【12345】您的诉求（{code}）已办结：{}。",
            param(m, "outcome")
        ),
        "appeal_extended" => format!(
            "【12345】您的诉求（{code}）办理时限已延长至 {}。",
            param(m, "reply_by")
                .get(..16)
                .unwrap_or("")
                .replace('T', " ")
        ),
        "question_answered" => format!(
            "【12345】您关注的网络问政问题（编号 {}）已公开答复，请在“网络问政”查看。",
            m.params
                .get("question_id")
                .and_then(serde_json::Value::as_i64)
                .unwrap_or_default()
        ),
        "login_code" => format!(
            "【12345】您的登录验证码是 {}，10分钟内有效。",
            param(m, "code")
        ),
        other => format!("【12345】{other} {code}"),
    }
}

impl SmsSender {
    pub async fn send(&self, m: &OutboxMessage) -> Result<(), String> {
        let text = render(m);
        match self {
            SmsSender::Log => {
                tracing::info!(target: "sms", id = m.id, to = %m.destination, %text, "sms");
                Ok(())
            }
            SmsSender::Http { url, token } => {
                let body = serde_json::json!({"id": m.id, "to": m.destination, "text": text});
                post_json(url, token.as_ref().map(|t| t.0.as_str()), &body).await
            }
        }
    }
}

/// POST the message to the gateway; a 2xx status is success.
async fn post_json(url: &str, token: Option<&str>, body: &serde_json::Value) -> Result<(), String> {
    let mut request = client().post(url).json(body);
    if let Some(t) = token {
        request = request.bearer_auth(t);
    }
    let response = request
        .send()
        .await
        .map_err(|e| format!("gateway unreachable: {e}"))?;
    if response.status().is_success() {
        Ok(())
    } else {
        Err(format!("gateway answered {}", response.status()))
    }
}

fn client() -> &'static reqwest::Client {
    static CLIENT: std::sync::LazyLock<reqwest::Client> = std::sync::LazyLock::new(|| {
        reqwest::Client::builder()
            .timeout(Duration::from_secs(10))
            .build()
            .unwrap_or_default()
    });
    &CLIENT
}
