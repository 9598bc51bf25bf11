//! Mediation: organisations, dispute cases, their parties and timelines.
//! The workflow state is stored whole (JSON, no personal data) next to the
//! columns queries need; parties' personal data lives in its own table and
//! an unmasked read is audited in the transaction that reads it. The store
//! decides nothing: the domain has already accepted every step it saves.

mod read;
mod write;

use grassroots_core::mediation::{
    Dispute, DisputeType, OrgKind, Organisation, PartyInfo, PartyKind, Side, Source,
};
use sqlx::Row as _;
use sqlx::any::AnyRow;

use crate::appeals::UnitLevels;
use crate::territory::from_e7;
use crate::{Result, StoreError};

pub use read::DisputeFilter;

/// One dispute case as stored.
#[derive(Clone, Debug, PartialEq)]
pub struct StoredDispute {
    pub id: i64,
    pub dispute_type: DisputeType,
    pub source: Source,
    pub facts: String,
    pub claims: String,
    pub amount_fen: Option<i64>,
    pub point: Option<(f64, f64)>,
    pub address: Option<String>,
    /// Where the case is: its deepest unit and the levels above it.
    pub units: UnitLevels,
    pub appeal_id: Option<i64>,
    pub court: Option<String>,
    /// Level of the unit of the organisation holding it (`community`, `street`, …).
    pub org_level: String,
    pub state: Dispute,
    pub entered_by: Option<i64>,
}

impl StoredDispute {
    /// The act-by time the background job watches.
    pub fn act_by(&self) -> Option<i64> {
        self.state.due.filter(|_| self.state.status.is_timed())
    }
}

/// One timeline entry.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DisputeEntry {
    pub at: i64,
    pub action: String,
    pub public: bool,
    pub actor_id: Option<i64>,
    pub actor: String,
    pub role: String,
    pub note: Option<String>,
}

pub(crate) const DISPUTE_COLUMNS: &str = "id, dispute_type, source, facts, claims, amount_fen, \
    lon_e7, lat_e7, address, unit_code, district_code, street_code, community_code, grid_code, \
    appeal_id, court, org_level, state, entered_by";

pub(crate) fn json(v: &impl serde::Serialize) -> Result<String> {
    serde_json::to_string(v).map_err(|e| StoreError::Corrupt(e.to_string()))
}

pub(crate) fn dispute_from_row(r: &AnyRow) -> Result<StoredDispute> {
    let id: i64 = r.try_get("id")?;
    let corrupt = |what: &str| StoreError::Corrupt(format!("dispute {id}: {what}"));
    let dispute_type: String = r.try_get("dispute_type")?;
    let source: String = r.try_get("source")?;
    let lon: Option<i64> = r.try_get("lon_e7")?;
    let lat: Option<i64> = r.try_get("lat_e7")?;
    let state: String = r.try_get("state")?;
    Ok(StoredDispute {
        id,
        dispute_type: DisputeType::parse(&dispute_type).ok_or_else(|| corrupt("type"))?,
        source: Source::parse(&source).ok_or_else(|| corrupt("source"))?,
        facts: r.try_get("facts")?,
        claims: r.try_get("claims")?,
        amount_fen: r.try_get("amount_fen")?,
        point: lon.zip(lat).map(|(x, y)| (from_e7(x), from_e7(y))),
        address: r.try_get("address")?,
        units: UnitLevels {
            unit: r.try_get("unit_code")?,
            district: r.try_get("district_code")?,
            street: r.try_get("street_code")?,
            community: r.try_get("community_code")?,
            grid: r.try_get("grid_code")?,
        },
        appeal_id: r.try_get("appeal_id")?,
        court: r.try_get("court")?,
        org_level: r.try_get("org_level")?,
        state: {
            let mut s: Dispute = serde_json::from_str(&state).map_err(|_| corrupt("state"))?;
            // The id is the row's: a case is saved before its id is known.
            s.id = id;
            s
        },
        entered_by: r.try_get("entered_by")?,
    })
}

pub(crate) type PartyRow = (
    i64,
    String,
    String,
    String,
    Option<String>,
    Option<String>,
    Option<i64>,
);

pub(crate) fn party_from_row(r: PartyRow) -> Result<PartyInfo> {
    let corrupt = |what: &str| StoreError::Corrupt(format!("party {}: {what}", r.0));
    Ok(PartyInfo {
        side: Side::parse(&r.1).ok_or_else(|| corrupt("side"))?,
        kind: match r.2.as_str() {
            "person" => PartyKind::Person,
            "organisation" => PartyKind::Organisation,
            _ => return Err(corrupt("kind")),
        },
        name: r.3,
        phone: r.4,
        address: r.5,
        user_id: r.6,
    })
}

pub(crate) fn kind_str(k: PartyKind) -> &'static str {
    match k {
        PartyKind::Person => "person",
        PartyKind::Organisation => "organisation",
    }
}

pub(crate) fn org_from_row(r: (String, String, String, String)) -> Result<Organisation> {
    Ok(Organisation {
        kind: OrgKind::parse(&r.2)
            .ok_or_else(|| StoreError::Corrupt(format!("organisation {}: kind", r.0)))?,
        code: r.0,
        name: r.1,
        unit: r.3,
    })
}
