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
use crate::api::extract::parse_id;
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

pub fn render(
    d: &StoredDispute,
    a: &Agreement,
    parties: &[PartyInfo],
    holder: Option<&Organisation>,
    lang: Lang,
) -> String {
    let l = if lang == Lang::En { &EN } else { &ZH };
    let mut h = String::new();
    let party_line = |p: &PartyInfo| {
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
        format!(
            "<p><strong>{}</strong>：{}（{}）{}</p>",
            esc(side),
            esc(&p.name),
            esc(kind),
            p.address
                .as_deref()
                .map(|x| format!("，{}", esc(x)))
                .unwrap_or_default()
        )
    };
    h.push_str(&format!(
        "<!doctype html><html lang=\"{}\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"><title>{}</title>\
         <style>body{{font-family:serif;max-width:46em;margin:2em auto;padding:0 1em;line-height:1.7;color:#111;background:#fff}}\
         h1{{text-align:center;letter-spacing:.2em}}h2{{font-size:1.05em;margin-top:1.4em}}table{{border-collapse:collapse;width:100%}}\
         th,td{{border:1px solid #444;padding:.3em .5em;text-align:left;vertical-align:top}}.sign{{margin-top:2.5em;display:grid;grid-template-columns:1fr 1fr;gap:2em}}\
         .line{{border-bottom:1px solid #111;min-height:2.2em}}@media print{{body{{margin:0}}}}</style></head><body>",
        lang.tag(),
        esc(l.title)
    ));
    h.push_str(&format!("<h1>{}</h1>", esc(l.title)));
    h.push_str(&format!(
        "<p>{}：{}-{}</p>",
        esc(l.number),
        esc(&d.state.first_org),
        d.id
    ));
    if let Some(o) = holder {
        h.push_str(&format!("<p>{}：{}</p>", esc(l.org), esc(&o.name)));
    }
    for p in parties {
        h.push_str(&party_line(p));
    }
    for (title, text) in [
        (l.facts, &a.facts),
        (l.matters, &a.matters),
        (l.responsibilities, &a.responsibilities),
    ] {
        h.push_str(&format!("<h2>{}</h2><p>{}</p>", esc(title), esc(text)));
    }
    h.push_str(&format!(
        "<h2>{}</h2><table><thead><tr><th>#</th><th>{}</th><th>{}</th><th>{}</th><th>{}</th></tr></thead><tbody>",
        esc(l.obligations),
        esc(l.duty),
        esc(l.how),
        esc(l.place),
        esc(l.by)
    ));
    for (i, o) in a.obligations.iter().enumerate() {
        let who = parties.get(o.party).map(|p| p.name.as_str()).unwrap_or("");
        h.push_str(&format!(
            "<tr><td>{}</td><td>{}：{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            i + 1,
            esc(who),
            esc(&o.duty),
            esc(&o.how),
            esc(&o.place),
            date(o.by)
        ));
    }
    h.push_str("</tbody></table>");
    h.push_str(&format!("<p>{}</p>", esc(l.confirmation)));
    h.push_str(&format!(
        "<h2>{}</h2><div class=\"sign\">",
        esc(l.signatures)
    ));
    for i in &a.signed_by {
        if let Some(p) = parties.get(*i) {
            h.push_str(&format!(
                "<div>{}<div class=\"line\"></div></div>",
                esc(&p.name)
            ));
        }
    }
    h.push_str(&format!(
        "</div><div class=\"sign\"><div>{}<div class=\"line\"></div></div><div>{}<div class=\"line\"></div></div></div>",
        esc(l.mediator),
        esc(l.seal)
    ));
    h.push_str(&format!(
        "<p>{}：{}</p></body></html>",
        esc(l.made),
        d.state.agreed_at.map(date).unwrap_or_default()
    ));
    h
}

pub async fn agreement(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
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
    let html = render(&d, a, &parties, place.holder.as_ref(), caller.lang);
    let mut res = html.into_response();
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
