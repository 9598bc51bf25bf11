//! Intake: what a new appeal must contain, checked field by field, the
//! tracking code an anonymous resident follows it with, and the rule that
//! suggests likely duplicates.

use serde::{Deserialize, Serialize};

use super::category::{Taxonomy, Urgency};
use crate::accounts::validate_phone;

pub const MAX_DESCRIPTION: usize = 4000;
pub const MAX_ADDRESS: usize = 200;
pub const MAX_NAME: usize = 50;

/// How the appeal reached us.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Channel {
    /// A resident on the web or phone app.
    Web,
    /// A hotline operator entering a call (12345).
    Hotline,
    /// A grid worker's patrol report.
    GridPatrol,
    /// A machine client of the native API.
    Api,
    /// An Open311 client.
    Open311,
}

impl Channel {
    pub const ALL: [Channel; 5] = [
        Channel::Web,
        Channel::Hotline,
        Channel::GridPatrol,
        Channel::Api,
        Channel::Open311,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Channel::Web => "web",
            Channel::Hotline => "hotline",
            Channel::GridPatrol => "grid_patrol",
            Channel::Api => "api",
            Channel::Open311 => "open311",
        }
    }

    pub fn parse(s: &str) -> Option<Channel> {
        Channel::ALL.into_iter().find(|c| c.as_str() == s.trim())
    }
}

/// An appeal as submitted, before checking (all optional so that every
/// missing field can be reported at once).
#[derive(Clone, Debug, Default, PartialEq, Deserialize)]
pub struct IntakeInput {
    pub category: Option<String>,
    pub description: Option<String>,
    pub lon: Option<f64>,
    pub lat: Option<f64>,
    /// Address text, with `unit` chosen by an operator, when there is no point.
    pub address: Option<String>,
    pub unit: Option<String>,
    pub contact_name: Option<String>,
    pub contact_phone: Option<String>,
    #[serde(default)]
    pub publish: bool,
    pub urgency: Option<String>,
    pub channel: Option<String>,
    pub idempotency_key: Option<String>,
}

/// Where the appeal is.
#[derive(Clone, Debug, PartialEq)]
pub enum Place {
    Point {
        lon: f64,
        lat: f64,
    },
    /// An address the operator placed in a unit.
    Address {
        text: String,
        unit: String,
    },
}

/// A checked appeal, ready for routing.
#[derive(Clone, Debug, PartialEq)]
pub struct NewAppeal {
    pub category: String,
    pub description: String,
    pub place: Option<Place>,
    pub contact_name: Option<String>,
    /// Personal data: stored, masked in every view.
    pub contact_phone: Option<String>,
    pub publish: bool,
    pub urgency: Urgency,
    pub channel: Channel,
    pub idempotency_key: Option<String>,
}

/// One field's problem: the field, a stable key the UI translates, and an
/// English detail.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct FieldError {
    pub field: &'static str,
    pub problem: &'static str,
    pub detail: String,
}

fn err(field: &'static str, problem: &'static str, detail: impl Into<String>) -> FieldError {
    FieldError {
        field,
        problem,
        detail: detail.into(),
    }
}

/// Plain text: trimmed, control characters other than line breaks and tabs
/// removed, line endings normalised.
pub fn plain_text(s: &str) -> String {
    s.replace("\r\n", "\n")
        .chars()
        .filter(|c| !c.is_control() || *c == '\n' || *c == '\t')
        .collect::<String>()
        .trim()
        .to_owned()
}

fn optional_text(s: &Option<String>) -> Option<String> {
    s.as_deref().map(plain_text).filter(|t| !t.is_empty())
}

/// A landline such as `0459-4612345` or `04594612345`.
fn is_landline(p: &str) -> bool {
    let digits: String = p.chars().filter(|c| *c != '-').collect();
    p.starts_with('0')
        && p.chars().filter(|c| *c == '-').count() <= 1
        && digits.chars().all(|c| c.is_ascii_digit())
        && (10..=12).contains(&digits.len())
}

/// Check every field; report every problem, not just the first.
pub fn check(input: &IntakeInput, taxonomy: &Taxonomy) -> Result<NewAppeal, Vec<FieldError>> {
    let mut errors = Vec::new();

    let category = match optional_text(&input.category) {
        None => {
            errors.push(err("category", "required", "choose a category"));
            None
        }
        Some(code) => match taxonomy.get(&code) {
            Some(c) => Some(c),
            None => {
                errors.push(err(
                    "category",
                    "unknown",
                    format!("unknown category {code}"),
                ));
                None
            }
        },
    };

    let description = optional_text(&input.description);
    match &description {
        None => errors.push(err("description", "required", "describe the problem")),
        Some(d) if d.chars().count() > MAX_DESCRIPTION => errors.push(err(
            "description",
            "too_long",
            format!("at most {MAX_DESCRIPTION} characters"),
        )),
        Some(_) => {}
    }

    let place = match (
        input.lon,
        input.lat,
        optional_text(&input.address),
        optional_text(&input.unit),
    ) {
        (Some(lon), Some(lat), _, _) => {
            if !lon.is_finite() || !(-180.0..=180.0).contains(&lon) {
                errors.push(err(
                    "lon",
                    "out_of_range",
                    "longitude must be between -180 and 180",
                ));
            }
            if !lat.is_finite() || !(-90.0..=90.0).contains(&lat) {
                errors.push(err(
                    "lat",
                    "out_of_range",
                    "latitude must be between -90 and 90",
                ));
            }
            Some(Place::Point { lon, lat })
        }
        (Some(_), None, _, _) => {
            errors.push(err("lat", "required", "a point needs both lon and lat"));
            None
        }
        (None, Some(_), _, _) => {
            errors.push(err("lon", "required", "a point needs both lon and lat"));
            None
        }
        (None, None, Some(text), Some(unit)) => {
            if text.chars().count() > MAX_ADDRESS {
                errors.push(err(
                    "address",
                    "too_long",
                    format!("at most {MAX_ADDRESS} characters"),
                ));
            }
            Some(Place::Address { text, unit })
        }
        (None, None, Some(_), None) => {
            errors.push(err(
                "unit",
                "required",
                "an address needs the unit it lies in",
            ));
            None
        }
        (None, None, None, _) => None,
    };
    if place.is_none()
        && category.is_some_and(|c| c.needs_location)
        && !errors
            .iter()
            .any(|e| matches!(e.field, "lon" | "lat" | "unit"))
    {
        errors.push(err(
            "location",
            "required",
            "this category needs a location: a point, or an address and its unit",
        ));
    }

    let contact_name = optional_text(&input.contact_name);
    if contact_name
        .as_ref()
        .is_some_and(|n| n.chars().count() > MAX_NAME)
    {
        errors.push(err(
            "contact_name",
            "too_long",
            format!("at most {MAX_NAME} characters"),
        ));
    }
    let contact_phone = optional_text(&input.contact_phone).map(|p| p.replace([' ', '　'], ""));
    if let Some(p) = &contact_phone
        && validate_phone(p).is_err()
        && !is_landline(p)
    {
        errors.push(err(
            "contact_phone",
            "invalid",
            "a mobile number (11 digits) or a landline such as 0459-4612345",
        ));
    }

    let urgency = match optional_text(&input.urgency) {
        None => Urgency::Normal,
        Some(u) => Urgency::parse(&u).unwrap_or_else(|| {
            errors.push(err("urgency", "unknown", format!("unknown urgency {u}")));
            Urgency::Normal
        }),
    };
    let channel = match optional_text(&input.channel) {
        None => Channel::Web,
        Some(c) => Channel::parse(&c).unwrap_or_else(|| {
            errors.push(err("channel", "unknown", format!("unknown channel {c}")));
            Channel::Web
        }),
    };
    let idempotency_key = optional_text(&input.idempotency_key);
    let key_ok = |k: &str| {
        (8..=128).contains(&k.len())
            && k.bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b':' | b'.'))
    };
    if idempotency_key.as_deref().is_some_and(|k| !key_ok(k)) {
        errors.push(err(
            "idempotency_key",
            "invalid",
            "8 to 128 of A-Z a-z 0-9 - _ : .",
        ));
    }

    match (category, description) {
        (Some(c), Some(description)) if errors.is_empty() => Ok(NewAppeal {
            category: c.code.clone(),
            description,
            place,
            contact_name,
            contact_phone,
            publish: input.publish,
            urgency,
            channel,
            idempotency_key,
        }),
        _ => Err(errors),
    }
}

/// Crockford base-32 without I, L, O, U: codes read aloud over the phone.
const ALPHABET: &[u8; 32] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";

/// A tracking code from 50 random bits: `GR-XXXXX-XXXXX`.
pub fn tracking_code(random: u64) -> String {
    let mut chars = [0u8; 10];
    for (i, c) in chars.iter_mut().enumerate() {
        *c = ALPHABET[((random >> (5 * i)) & 31) as usize];
    }
    let s = String::from_utf8_lossy(&chars).into_owned();
    format!("GR-{}-{}", &s[..5], &s[5..])
}

/// Normalise what a resident typed (case, spaces, missing dashes, and the
/// letters people confuse with digits) to the canonical code, or `None`.
pub fn normalise_tracking_code(typed: &str) -> Option<String> {
    let body: String = typed
        .trim()
        .to_ascii_uppercase()
        .trim_start_matches("GR")
        .chars()
        .filter(|c| !matches!(c, '-' | ' '))
        .map(|c| match c {
            'O' => '0',
            'I' | 'L' => '1',
            other => other,
        })
        .collect();
    if body.len() != 10 || !body.bytes().all(|b| ALPHABET.contains(&b)) {
        return None;
    }
    Some(format!("GR-{}-{}", &body[..5], &body[5..]))
}

/// Great-circle distance in metres (haversine, mean Earth radius).
pub fn distance_m(a: (f64, f64), b: (f64, f64)) -> f64 {
    let (lon1, lat1) = (a.0.to_radians(), a.1.to_radians());
    let (lon2, lat2) = (b.0.to_radians(), b.1.to_radians());
    let h = ((lat2 - lat1) / 2.0).sin().powi(2)
        + lat1.cos() * lat2.cos() * ((lon2 - lon1) / 2.0).sin().powi(2);
    2.0 * 6_371_008.8 * h.sqrt().asin()
}

/// An open appeal considered as a possible duplicate.
#[derive(Clone, Debug, PartialEq)]
pub struct Candidate {
    pub id: i64,
    pub category: String,
    pub point: (f64, f64),
    pub received_at: i64,
}

/// Open appeals of the same category within `radius_m` and the last
/// `window_micros` before `now`, nearest first.
pub fn duplicate_suggestions(
    category: &str,
    point: (f64, f64),
    now: i64,
    open: &[Candidate],
    radius_m: f64,
    window_micros: i64,
) -> Vec<(i64, f64)> {
    let mut out: Vec<(i64, f64)> = open
        .iter()
        .filter(|c| {
            c.category == category && now - c.received_at <= window_micros && c.received_at <= now
        })
        .map(|c| (c.id, distance_m(point, c.point)))
        .filter(|(_, d)| *d <= radius_m)
        .collect();
    out.sort_by(|a, b| a.1.total_cmp(&b.1).then(a.0.cmp(&b.0)));
    out
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

    use proptest::prelude::*;

    use super::*;

    fn good() -> IntakeInput {
        IntakeInput {
            category: Some(Taxonomy::builtin().categories()[0].code.clone()),
            description: Some("  楼道里的暖气不热\r\n已经三天了\u{7} ".into()),
            lon: Some(125.1),
            lat: Some(46.6),
            contact_name: Some("王芳".into()),
            contact_phone: Some("138 1234 5678".into()),
            idempotency_key: Some("client-abc-123".into()),
            ..IntakeInput::default()
        }
    }

    fn fields(input: &IntakeInput) -> Vec<(&'static str, &'static str)> {
        check(input, &Taxonomy::builtin())
            .unwrap_err()
            .into_iter()
            .map(|e| (e.field, e.problem))
            .collect()
    }

    #[test]
    fn a_good_appeal_is_cleaned_up() {
        let a = check(&good(), &Taxonomy::builtin()).unwrap();
        assert_eq!(a.description, "楼道里的暖气不热\n已经三天了");
        assert_eq!(a.contact_phone.as_deref(), Some("13812345678"));
        assert_eq!((a.channel, a.urgency), (Channel::Web, Urgency::Normal));
        assert_eq!(
            a.place,
            Some(Place::Point {
                lon: 125.1,
                lat: 46.6
            })
        );
    }

    #[test]
    fn every_problem_is_reported_at_once() {
        let bad = IntakeInput {
            category: Some("no.such".into()),
            description: Some("x".repeat(MAX_DESCRIPTION + 1)),
            lon: Some(200.0),
            lat: Some(46.0),
            contact_phone: Some("12345".into()),
            urgency: Some("whenever".into()),
            channel: Some("pigeon".into()),
            idempotency_key: Some("short".into()),
            ..IntakeInput::default()
        };
        assert_eq!(
            fields(&bad),
            [
                ("category", "unknown"),
                ("description", "too_long"),
                ("lon", "out_of_range"),
                ("contact_phone", "invalid"),
                ("urgency", "unknown"),
                ("channel", "unknown"),
                ("idempotency_key", "invalid"),
            ]
        );
        assert_eq!(
            fields(&IntakeInput::default()),
            [("category", "required"), ("description", "required")]
        );
    }

    #[test]
    fn places() {
        let half = IntakeInput {
            lat: None,
            ..good()
        };
        assert_eq!(fields(&half), [("lat", "required")]);
        let address = IntakeInput {
            lon: None,
            lat: None,
            address: Some("让胡路区西宾路12号".into()),
            unit: Some("230604".into()),
            ..good()
        };
        let a = check(&address, &Taxonomy::builtin()).unwrap();
        assert_eq!(
            a.place,
            Some(Place::Address {
                text: "让胡路区西宾路12号".into(),
                unit: "230604".into()
            })
        );
        let no_unit = IntakeInput {
            unit: None,
            ..address
        };
        assert_eq!(fields(&no_unit), [("unit", "required")]);
        let needs = Taxonomy::builtin()
            .categories()
            .iter()
            .find(|c| c.needs_location)
            .unwrap()
            .code
            .clone();
        let nowhere = IntakeInput {
            category: Some(needs),
            lon: None,
            lat: None,
            ..good()
        };
        assert_eq!(fields(&nowhere), [("location", "required")]);
    }

    #[test]
    fn phones_and_keys() {
        for ok in ["13812345678", "0459-4612345", "04594612345"] {
            let input = IntakeInput {
                contact_phone: Some(ok.into()),
                ..good()
            };
            assert!(check(&input, &Taxonomy::builtin()).is_ok(), "{ok}");
        }
        for bad in ["1381234567", "459-4612345", "0459--4612345", "电话"] {
            let input = IntakeInput {
                contact_phone: Some(bad.into()),
                ..good()
            };
            assert_eq!(fields(&input), [("contact_phone", "invalid")], "{bad}");
        }
        let input = IntakeInput {
            idempotency_key: Some("has space in it".into()),
            ..good()
        };
        assert_eq!(fields(&input), [("idempotency_key", "invalid")]);
    }

    #[test]
    fn tracking_codes_are_readable_and_forgiving() {
        let code = tracking_code(0x0123_4567_89AB_CDEF);
        assert_eq!(code.len(), 14);
        assert!(code.starts_with("GR-"));
        assert!(!code[3..].contains(['I', 'L', 'O', 'U']));
        let typed = code.to_lowercase().replace('-', " ");
        assert_eq!(normalise_tracking_code(&typed), Some(code.clone()));
        assert_eq!(
            normalise_tracking_code("GR-0O1IL-22222"),
            Some("GR-00111-22222".into())
        );
        assert_eq!(normalise_tracking_code("GR-123"), None);
        assert_eq!(normalise_tracking_code("GR-UUUUU-UUUUU"), None);
    }

    #[test]
    fn duplicates_same_category_near_and_recent_nearest_first() {
        let h = 3_600_000_000;
        let c = |id, category: &str, lon: f64, at| Candidate {
            id,
            category: category.into(),
            point: (lon, 46.6),
            received_at: at,
        };
        // 0.001° of longitude at 46.6°N ≈ 76 m.
        let open = [
            c(1, "noise", 125.1010, 0),
            c(2, "noise", 125.1005, -10 * h),
            c(3, "heating", 125.1000, 0),
            c(4, "noise", 125.1100, 0),
            c(5, "noise", 125.1000, -100 * h),
        ];
        let got = duplicate_suggestions("noise", (125.1, 46.6), 0, &open, 200.0, 72 * h);
        let ids: Vec<i64> = got.iter().map(|g| g.0).collect();
        assert_eq!(ids, [2, 1]);
        assert!((got[0].1 - 38.3).abs() < 1.0, "{}", got[0].1);
    }

    proptest! {
        #[test]
        fn distance_is_a_metric_on_city_scales(
            a in (125.0f64..125.5, 46.3f64..46.9),
            b in (125.0f64..125.5, 46.3f64..46.9),
            c in (125.0f64..125.5, 46.3f64..46.9),
        ) {
            prop_assert!(distance_m(a, a) < 1e-6);
            prop_assert!((distance_m(a, b) - distance_m(b, a)).abs() < 1e-6);
            prop_assert!(distance_m(a, c) <= distance_m(a, b) + distance_m(b, c) + 1e-6);
        }

        #[test]
        fn any_code_round_trips(r in any::<u64>()) {
            let code = tracking_code(r);
            prop_assert_eq!(normalise_tracking_code(&code), Some(code.clone()));
        }
    }
}
