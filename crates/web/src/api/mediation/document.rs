//! `GET /api/v1/disputes/{id}/agreement`: the written agreement (调解协议书)
//! as a printable page, in the request's language, with what the People's
//! Mediation Law (art. 29) expects it to state. It names the parties, so
//! rendering it is an audited read of their personal data.

use axum::extract::{Path, State};
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use grassroots_core::ErrorCode;
use grassroots_core::authz::Action;
use grassroots_core::mediation::{Agreement, Organisation, PartyInfo, PartyKind, Side};
use grassroots_store::StoredDispute;

use super::{Sight, load};
use crate::api::extract::{Params, parse_id};
use crate::auth::Caller;
use crate::error::{ApiError, ApiResult};
use crate::i18n::Lang;
use crate::ops::mediation::may;
use crate::state::AppState;

/// Escape text for HTML content and attribute values.
fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

fn date(micros: i64) -> String {
    jiff::Timestamp::from_microsecond(micros)
        .map(|t| grassroots_core::appeals::calendar::local_date(t).to_string())
        .unwrap_or_default()
}

struct Labels {
    title: &'static str,
    number: &'static str,
    org: &'static str,
    applicant: &'static str,
    respondent: &'static str,
    facts: &'static str,
    matters: &'static str,
    responsibilities: &'static str,
    obligations: &'static str,
    duty: &'static str,
    how: &'static str,
    place: &'static str,
    by: &'static str,
    signatures: &'static str,
    mediator: &'static str,
    seal: &'static str,
    made: &'static str,
    confirmation: &'static str,
    person: &'static str,
    organisation: &'static str,
}

const ZH: Labels = Labels {
    title: "人民调解协议书",
    number: "编号",
    org: "调解组织",
    applicant: "申请人",
    respondent: "被申请人",
    facts: "纠纷主要事实",
    matters: "争议事项",
    responsibilities: "各方当事人的责任",
    obligations: "经调解，当事人自愿达成如下协议",
    duty: "义务",
    how: "履行方式",
    place: "履行地点",
    by: "履行期限",
    signatures: "当事人（签名、盖章或按指印）",
    mediator: "人民调解员（签名）",
    seal: "人民调解委员会（印章）",
    made: "协议达成日期",
    confirmation: "本协议自各方当事人签名、盖章或者按指印，人民调解员签名并加盖人民调解委员会印章之日起生效。当事人可以自本协议生效之日起三十日内共同向人民法院申请司法确认。",
    person: "自然人",
    organisation: "单位",
};

const EN: Labels = Labels {
    title: "People's Mediation Agreement",
    number: "No.",
    org: "Mediation organisation",
    applicant: "Applicant",
    respondent: "Respondent",
    facts: "Main facts of the dispute",
    matters: "Matters in dispute",
    responsibilities: "Responsibilities of the parties",
    obligations: "Through mediation the parties voluntarily agree as follows",
    duty: "Obligation",
    how: "Manner of performance",
    place: "Place of performance",
    by: "Perform by",
    signatures: "Parties (signature, seal or fingerprint)",
    mediator: "People's mediator (signature)",
    seal: "People's mediation committee (seal)",
    made: "Agreement made on",
    confirmation: "This agreement takes effect on the day every party has signed, sealed or fingerprinted it and the mediator has signed it under the committee's seal. The parties may jointly apply to a people's court for judicial confirmation within 30 days of that day.",
    person: "person",
    organisation: "organisation",
};

/// One part of the document, whatever it is rendered to.
#[derive(Clone, Debug, PartialEq)]
pub enum Block {
    Title(String),
    Line(String),
    Heading(String),
    Para(String),
    /// Header cells, then rows.
    Table(Vec<String>, Vec<Vec<String>>),
    /// Places to sign, side by side.
    Signatures(Vec<String>),
}

/// The agreement's contents in reading order.
pub fn blocks(
    d: &StoredDispute,
    a: &Agreement,
    parties: &[PartyInfo],
    holder: Option<&Organisation>,
    lang: Lang,
) -> Vec<Block> {
    let l = if lang == Lang::En { &EN } else { &ZH };
    let mut b = vec![
        Block::Title(l.title.into()),
        Block::Line(format!("{}：{}-{}", l.number, d.state.first_org, d.id)),
    ];
    if let Some(o) = holder {
        b.push(Block::Line(format!("{}：{}", l.org, o.name)));
    }
    for p in parties {
        let side = if p.side == Side::Applicant {
            l.applicant
        } else {
            l.respondent
        };
        let kind = if p.kind == PartyKind::Person {
            l.person
        } else {
            l.organisation
        };
        let address = p
            .address
            .as_deref()
            .map(|x| format!("，{x}"))
            .unwrap_or_default();
        b.push(Block::Line(format!(
            "{side}：{}（{kind}）{address}",
            p.name
        )));
    }
    for (title, text) in [
        (l.facts, &a.facts),
        (l.matters, &a.matters),
        (l.responsibilities, &a.responsibilities),
    ] {
        b.push(Block::Heading(title.into()));
        b.push(Block::Para(text.clone()));
    }
    b.push(Block::Heading(l.obligations.into()));
    b.push(Block::Table(
        ["#", l.duty, l.how, l.place, l.by]
            .iter()
            .map(|x| (*x).to_owned())
            .collect(),
        a.obligations
            .iter()
            .enumerate()
            .map(|(i, o)| {
                let who = parties.get(o.party).map(|p| p.name.as_str()).unwrap_or("");
                vec![
                    (i + 1).to_string(),
                    format!("{who}：{}", o.duty),
                    o.how.clone(),
                    o.place.clone(),
                    date(o.by),
                ]
            })
            .collect(),
    ));
    b.push(Block::Para(l.confirmation.into()));
    b.push(Block::Heading(l.signatures.into()));
    b.push(Block::Signatures(
        a.signed_by
            .iter()
            .filter_map(|i| parties.get(*i))
            .map(|p| p.name.clone())
            .collect(),
    ));
    b.push(Block::Signatures(vec![l.mediator.into(), l.seal.into()]));
    b.push(Block::Line(format!(
        "{}：{}",
        l.made,
        d.state.agreed_at.map(date).unwrap_or_default()
    )));
    b
}

/// The blocks as a self-contained printable page (no script, no outside resource).
pub fn html(blocks: &[Block], lang: Lang) -> String {
    let title = blocks
        .iter()
        .find_map(|b| match b {
            Block::Title(t) => Some(t.as_str()),
            _ => None,
        })
        .unwrap_or("");
    let mut h = format!(
        "<!doctype html><html lang=\"{}\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"><title>{}</title>\
         <style>body{{font-family:serif;max-width:46em;margin:2em auto;padding:0 1em;line-height:1.7;color:#111;background:#fff}}\
         h1{{text-align:center;letter-spacing:.2em}}h2{{font-size:1.05em;margin-top:1.4em}}table{{border-collapse:collapse;width:100%}}\
         th,td{{border:1px solid #444;padding:.3em .5em;text-align:left;vertical-align:top}}.sign{{margin-top:2.5em;display:grid;grid-template-columns:1fr 1fr;gap:2em}}\
         .line{{border-bottom:1px solid #111;min-height:2.2em}}@media print{{body{{margin:0}}}}</style></head><body>",
        lang.tag(),
        esc(title)
    );
    for b in blocks {
        match b {
            Block::Title(t) => h.push_str(&format!("<h1>{}</h1>", esc(t))),
            Block::Line(t) | Block::Para(t) => h.push_str(&format!("<p>{}</p>", esc(t))),
            Block::Heading(t) => h.push_str(&format!("<h2>{}</h2>", esc(t))),
            Block::Table(head, rows) => {
                h.push_str("<table><thead><tr>");
                for c in head {
                    h.push_str(&format!("<th>{}</th>", esc(c)));
                }
                h.push_str("</tr></thead><tbody>");
                for r in rows {
                    h.push_str("<tr>");
                    for c in r {
                        h.push_str(&format!("<td>{}</td>", esc(c)));
                    }
                    h.push_str("</tr>");
                }
                h.push_str("</tbody></table>");
            }
            Block::Signatures(names) => {
                h.push_str("<div class=\"sign\">");
                for n in names {
                    h.push_str(&format!("<div>{}<div class=\"line\"></div></div>", esc(n)));
                }
                h.push_str("</div>");
            }
        }
    }
    h.push_str("</body></html>");
    h
}

/// `?format=pdf` for a PDF, else the printable page.
/// The written agreement as a printable page, or a PDF
///
/// In the request's language, with what the People's Mediation Law (art.
/// 29) expects it to state. It names the parties, so reading it is audited.
#[utoipa::path(
    get,
    path = "/api/v1/disputes/{id}/agreement",
    tag = "mediation",
    params(
        ("id" = i64, Path, description = "The case's id"),
        ("format" = Option<String>, Query, pattern = "^(html|pdf)$", description = "`pdf` for a PDF; an HTML page otherwise"),
    ),
    responses((status = 200, description = "The agreement", content(
        (String = "text/html"),
        (Vec<u8> = "application/pdf"),
    ))),
    extensions(("x-error-codes" = json!(["unauthenticated", "forbidden", "not_found"])))
)]
pub async fn agreement(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    q: Params,
) -> ApiResult<Response> {
    let id = parse_id(&id)?;
    let (d, place, _orgs, sight) = load(&state, &caller, id).await?;
    match sight {
        Sight::Record => may(
            caller.actor.as_ref(),
            Action::RevealDisputeParty,
            &place,
            None,
        )?,
        Sight::Party(_) => {}
        Sight::Summary => return Err(ApiError::new(ErrorCode::Forbidden)),
    }
    let Some(a) = d.state.agreement.as_ref() else {
        return Err(ApiError::with_detail(
            ErrorCode::NotFound,
            "no agreement yet",
        ));
    };
    let parties = state
        .store
        .reveal_dispute_parties(&caller.ctx(&state), id)
        .await?;
    let parts = blocks(&d, a, &parties, place.holder.as_ref(), caller.lang);
    if q.text("format") == Some("pdf") {
        let bytes = super::pdf::render(&parts);
        let mut res = bytes.into_response();
        let h = res.headers_mut();
        h.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/pdf"),
        );
        if let Ok(v) =
            HeaderValue::from_str(&format!("attachment; filename=\"agreement-{id}.pdf\""))
        {
            h.insert(header::CONTENT_DISPOSITION, v);
        }
        return Ok(res);
    }
    let mut res = html(&parts, caller.lang).into_response();
    let h = res.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    // No script at all; the page's own inline style only.
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(
            "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'",
        ),
    );
    Ok(res)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn text_is_escaped() {
        assert_eq!(esc("<b a=\"x\">&'"), "&lt;b a=&quot;x&quot;&gt;&amp;&#39;");
    }
}
