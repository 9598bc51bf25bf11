//! Opening a dispute case: field-by-field checks of what the intake form
//! (or an API client) sends, every problem reported at once, and the
//! parties' personal data kept apart from the workflow state.

use serde::{Deserialize, Serialize};

use super::kind::{DisputeType, Side, Source};
use crate::accounts::validate_phone;
use crate::appeals::intake::plain_text;

pub const MAX_FACTS: usize = 4000;
pub const MAX_NAME: usize = 100;
pub const MAX_PARTIES: usize = 200;
/// 1 billion yuan, in fen: anything larger is a typing error.
pub const MAX_AMOUNT_FEN: i64 = 100_000_000_000;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PartyKind {
    Person,
    Organisation,
}

/// A party's personal data: masked by default, each unmasked read audited.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PartyInfo {
    pub side: Side,
    pub kind: PartyKind,
    pub name: String,
    pub phone: Option<String>,
    pub address: Option<String>,
    /// The party's resident account, when they have one: they may follow their case.
    pub user_id: Option<i64>,
}

/// A checked new case.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct NewDispute {
    pub dispute_type: DisputeType,
    pub source: Source,
    pub facts: String,
    pub claims: String,
    pub amount_fen: Option<i64>,
    /// (lon, lat), WGS84.
    pub point: Option<(f64, f64)>,
    pub address: Option<String>,
    /// The unit the case belongs to where no point was given (e.g. a walk-in at a community).
    pub unit: Option<String>,
    /// Applicants first, then respondents.
    pub parties: Vec<PartyInfo>,
    /// The appeal it was converted from.
    pub appeal_id: Option<i64>,
    /// The referring court, for a court's pre-filing referral.
    pub court: Option<String>,
}

/// One field's problem: the field (`parties[1].phone`), a stable key the UI
/// translates, and an English detail.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct FieldError {
    pub field: String,
    pub problem: &'static str,
    pub detail: String,
}

fn err(field: impl Into<String>, problem: &'static str, detail: impl Into<String>) -> FieldError {
    FieldError {
        field: field.into(),
        problem,
        detail: detail.into(),
    }
}

fn text(errors: &mut Vec<FieldError>, field: &str, s: &str, max: usize, required: bool) -> String {
    let t = plain_text(s);
    if t.is_empty() && required {
        errors.push(err(field, "required", format!("{field} is required")));
    } else if t.chars().count() > max {
        errors.push(err(
            field,
            "too_long",
            format!("{field} is at most {max} characters"),
        ));
    }
    t
}

impl NewDispute {
    /// Check and normalise every field; report every problem.
    pub fn check(mut self) -> Result<NewDispute, Vec<FieldError>> {
        let mut errors = Vec::new();
        self.facts = text(&mut errors, "facts", &self.facts, MAX_FACTS, true);
        self.claims = text(&mut errors, "claims", &self.claims, MAX_FACTS, true);
        if let Some(a) = self.amount_fen
            && !(0..=MAX_AMOUNT_FEN).contains(&a)
        {
            errors.push(err(
                "amount_fen",
                "out_of_range",
                "the amount must be 0 to 1,000,000,000 yuan",
            ));
        }
        if let Some((lon, lat)) = self.point
            && !(lon.is_finite()
                && lat.is_finite()
                && (-180.0..=180.0).contains(&lon)
                && (-90.0..=90.0).contains(&lat))
        {
            errors.push(err(
                "location",
                "invalid",
                "longitude and latitude out of range",
            ));
        }
        if self.point.is_none() && self.unit.as_deref().is_none_or(|u| u.trim().is_empty()) {
            errors.push(err(
                "location",
                "required",
                "give a location or the unit of the case",
            ));
        }
        self.address = self
            .address
            .as_deref()
            .map(|a| text(&mut errors, "address", a, 200, false))
            .filter(|a| !a.is_empty());
        let applicants = self
            .parties
            .iter()
            .filter(|p| p.side == Side::Applicant)
            .count();
        let respondents = self.parties.len() - applicants;
        if applicants == 0 || respondents == 0 || self.parties.len() > MAX_PARTIES {
            errors.push(err(
                "parties",
                "invalid",
                format!("a dispute has at least one applicant and one respondent, at most {MAX_PARTIES} parties"),
            ));
        }
        // Applicants first: a party's index is its id within the case.
        self.parties.sort_by_key(|p| p.side != Side::Applicant);
        for (i, p) in self.parties.iter_mut().enumerate() {
            p.name = text(
                &mut errors,
                &format!("parties[{i}].name"),
                &p.name,
                MAX_NAME,
                true,
            );
            p.phone = p.phone.as_deref().map(plain_text).filter(|s| !s.is_empty());
            if let Some(phone) = &p.phone
                && validate_phone(phone).is_err()
            {
                errors.push(err(
                    format!("parties[{i}].phone"),
                    "invalid",
                    "phone must be an 11-digit mobile number",
                ));
            }
            p.address = p
                .address
                .as_deref()
                .map(|a| text(&mut errors, &format!("parties[{i}].address"), a, 200, false))
                .filter(|a| !a.is_empty());
        }
        self.court = self
            .court
            .as_deref()
            .map(plain_text)
            .filter(|c| !c.is_empty());
        if self.source == Source::CourtReferral && self.court.is_none() {
            errors.push(err("court", "required", "a court referral names the court"));
        }
        if self.source == Source::Appeal && self.appeal_id.is_none() {
            errors.push(err(
                "appeal_id",
                "required",
                "a converted appeal names the appeal",
            ));
        }
        if errors.is_empty() {
            Ok(self)
        } else {
            Err(errors)
        }
    }

    pub fn sides(&self) -> Vec<Side> {
        self.parties.iter().map(|p| p.side).collect()
    }
}

/// `张三丰` → `张**`; an organisation's name is public and kept.
pub fn mask_name(name: &str, kind: PartyKind) -> String {
    if kind == PartyKind::Organisation {
        return name.to_owned();
    }
    let mut chars = name.chars();
    match chars.next() {
        Some(first) => std::iter::once(first).chain(chars.map(|_| '*')).collect(),
        None => String::new(),
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;

    pub fn person(side: Side, name: &str) -> PartyInfo {
        PartyInfo {
            side,
            kind: PartyKind::Person,
            name: name.into(),
            phone: Some("13800001111".into()),
            address: None,
            user_id: None,
        }
    }

    fn sample() -> NewDispute {
        NewDispute {
            dispute_type: DisputeType::Neighbours,
            source: Source::WalkIn,
            facts: "楼上漏水".into(),
            claims: "赔偿维修费".into(),
            amount_fen: Some(200_000),
            point: Some((125.0, 46.6)),
            address: None,
            unit: None,
            parties: vec![
                person(Side::Respondent, "李四"),
                person(Side::Applicant, "张三"),
            ],
            appeal_id: None,
            court: None,
        }
    }

    #[test]
    fn a_good_case_passes_with_applicants_first() {
        let d = sample().check().unwrap();
        assert_eq!(d.parties[0].name, "张三");
        assert_eq!(d.sides(), vec![Side::Applicant, Side::Respondent]);
    }

    #[test]
    fn every_problem_is_reported_with_its_field() {
        let mut d = sample();
        d.facts = " ".into();
        d.amount_fen = Some(-1);
        d.point = None;
        d.parties = vec![PartyInfo {
            phone: Some("123".into()),
            ..person(Side::Applicant, "")
        }];
        d.source = Source::CourtReferral;
        let errors = d.check().unwrap_err();
        let fields: Vec<&str> = errors.iter().map(|e| e.field.as_str()).collect();
        for f in [
            "facts",
            "amount_fen",
            "location",
            "parties",
            "parties[0].name",
            "parties[0].phone",
            "court",
        ] {
            assert!(fields.contains(&f), "{f} missing in {fields:?}");
        }
    }

    #[test]
    fn a_converted_appeal_names_it() {
        let mut d = sample();
        d.source = Source::Appeal;
        assert_eq!(d.clone().check().unwrap_err()[0].field, "appeal_id");
        d.appeal_id = Some(3);
        assert!(d.check().is_ok());
    }

    #[test]
    fn names_are_masked_but_organisations_are_not() {
        assert_eq!(mask_name("张三丰", PartyKind::Person), "张**");
        assert_eq!(mask_name("", PartyKind::Person), "");
        assert_eq!(
            mask_name("某某建筑公司", PartyKind::Organisation),
            "某某建筑公司"
        );
    }
}
