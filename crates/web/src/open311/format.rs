//! GeoReport v2's two formats from one value: JSON as is, XML with the
//! spec's element names (a list's items are named by its singular).

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::Value;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    Json,
    Xml,
}

impl Format {
    /// `services.json` → (`services`, Json); `heating.no_heat.xml` → (`heating.no_heat`, Xml).
    pub fn split(file: &str) -> Option<(&str, Format)> {
        let (name, ext) = file.rsplit_once('.')?;
        let f = match ext {
            "json" => Format::Json,
            "xml" => Format::Xml,
            _ => return None,
        };
        (!name.is_empty()).then_some((name, f))
    }
}

/// The element name of one item of a list called `list`.
fn singular(list: &str) -> &str {
    match list {
        "services" => "service",
        "service_requests" => "request",
        "attributes" => "attribute",
        "values" => "value",
        "endpoints" => "endpoint",
        "formats" => "format",
        "errors" => "error",
        other => other.strip_suffix('s').unwrap_or(other),
    }
}

fn escape(s: &str, out: &mut String) {
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            // Characters XML 1.0 cannot carry are dropped.
            c if (c as u32) < 0x20 && !matches!(c, '\t' | '\n' | '\r') => {}
            c => out.push(c),
        }
    }
}

fn element(name: &str, v: &Value, out: &mut String) {
    match v {
        Value::Null => {
            out.push('<');
            out.push_str(name);
            out.push_str("/>");
        }
        Value::Array(items) => {
            out.push_str(&format!("<{name}>"));
            let item = singular(name);
            for i in items {
                element(item, i, out);
            }
            out.push_str(&format!("</{name}>"));
        }
        Value::Object(map) => {
            out.push_str(&format!("<{name}>"));
            for (k, v) in map {
                element(k, v, out);
            }
            out.push_str(&format!("</{name}>"));
        }
        Value::String(s) => {
            out.push_str(&format!("<{name}>"));
            escape(s, out);
            out.push_str(&format!("</{name}>"));
        }
        Value::Bool(b) => out.push_str(&format!("<{name}>{b}</{name}>")),
        Value::Number(n) => out.push_str(&format!("<{name}>{n}</{name}>")),
    }
}

/// `v` as an XML document whose root element is `root`.
pub fn xml(root: &str, v: &Value) -> String {
    let mut out = String::from("<?xml version=\"1.0\" encoding=\"utf-8\"?>");
    element(root, v, &mut out);
    out
}

/// The response: `root` names the XML root (a JSON body is `v` as is).
pub fn respond(status: StatusCode, f: Format, root: &str, v: &Value) -> Response {
    let (body, ct) = match f {
        Format::Json => (v.to_string(), "application/json; charset=utf-8"),
        Format::Xml => (xml(root, v), "text/xml; charset=utf-8"),
    };
    let mut res = (status, body).into_response();
    res.headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(ct));
    res
}

/// The spec's error: a list of `{code, description}` (XML `<errors><error>`).
pub fn error(status: StatusCode, f: Format, description: &str) -> Response {
    let v = serde_json::json!([{ "code": status.as_u16(), "description": description }]);
    respond(status, f, "errors", &v)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use serde_json::json;

    #[test]
    fn files_split_into_name_and_format() {
        assert_eq!(
            Format::split("services.json"),
            Some(("services", Format::Json))
        );
        assert_eq!(
            Format::split("heating.no_heat.xml"),
            Some(("heating.no_heat", Format::Xml))
        );
        assert_eq!(Format::split("services.csv"), None);
        assert_eq!(Format::split("services"), None);
        assert_eq!(Format::split(".json"), None);
    }

    #[test]
    fn lists_name_their_items_and_text_is_escaped() {
        let v = json!([{"service_code": "a&b", "metadata": true, "address": null,
                        "attributes": [{"values": [{"key": "k", "name": "<名>"}]}]}]);
        assert_eq!(
            xml("services", &v),
            "<?xml version=\"1.0\" encoding=\"utf-8\"?><services><service><address/><attributes><attribute>\
             <values><value><key>k</key><name>&lt;名&gt;</name></value></values></attribute></attributes>\
             <metadata>true</metadata><service_code>a&amp;b</service_code></service></services>"
        );
        assert_eq!(
            xml("errors", &json!([{"code": 404, "description": "x"}])),
            "<?xml version=\"1.0\" encoding=\"utf-8\"?><errors><error><code>404</code><description>x</description></error></errors>"
        );
    }
}
