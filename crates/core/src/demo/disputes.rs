//! A year of disputes for the demo city, so the mediation screens and the
//! Fengqiao measure have something true to show. Every case is played
//! through the real workflow (`Dispute::apply`) from its receipt to wherever
//! it has got by `now`: the record is one the platform could have produced.
//!
//! The proportions are approximate, chosen for realism rather than measured:
//!
//! - **Volume** ([`DISPUTES_PER_YEAR`]): China's people's mediation
//!   organisations settle on the order of 9 million disputes a year (the
//!   Ministry of Justice's yearly figures) for 1.4 billion people, roughly 6
//!   per 1,000 residents; Daqing has about 2.8 million.
//! - **Types**: about neighbours 30 %, family and marriage 20 %, property and
//!   tenancy 15 %, labour and wage arrears 10 %, land and contracts 8 %,
//!   consumer 7 %, traffic 5 %, medical 2 %, other 3 % — the people's
//!   mediation statistics' categories regrouped and rounded.
//! - **Seasons**: wage arrears rise in the eight weeks before the Spring
//!   Festival (workers want their pay before going home; the yearly
//!   "根治欠薪冬季专项行动" runs then); neighbour and property disputes rise
//!   in summer (windows open, renovation, noise, leaks). The festival week
//!   and weekends are quiet.
//! - **Sources**: mostly a party's request or a walk-in at a mediation room;
//!   about 15 % found by grid workers' regular checks (矛盾纠纷排查); about 5 %
//!   referred by the district court before filing (诉前委派调解).
//! - **Outcomes**: about 6 % of respondents refuse to mediate; about 90 % of
//!   the cases mediated reach an agreement, the figure published by most
//!   provinces for people's mediation; about 1 in 10 agreements is taken to
//!   the court for judicial confirmation; a few agreements are breached.
//!   Cases without agreement are referred on by type (wage disputes to
//!   labour arbitration, the others to court or to the administrative body
//!   concerned).
//!
//! Cases received in the last weeks are still under way at `now`: no step
//! is ever dated after it.

use std::collections::{BTreeMap, HashMap, HashSet};

use geo::Contains;
use jiff::Timestamp;
use jiff::civil::{Date, Weekday, date};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use super::names;
use crate::accounts::{NewUser, Role, Scope};
use crate::appeals::calendar::{local_date, start_of_day};
use crate::mediation::agreement::{Agreement, Obligation};
use crate::mediation::org::{self, CaseShape, Organisation};
use crate::mediation::workflow::DAY_MICROS;
use crate::mediation::{
    Actor, Channel, Command, Dispute, DisputeType, NewDispute, OrgKind, PartyInfo, PartyKind,
    Performance, RiskReason, Ruling, Session, Side, Source, Status,
};
use crate::territory::{Level, Territory, Unit};

const MINUTE: i64 = 60_000_000;
const HOUR: i64 = 60 * MINUTE;
const DAY: i64 = DAY_MICROS;

/// How many disputes a year at scale 1 (a city of Daqing's size).
pub const DISPUTES_PER_YEAR: u32 = 17_000;

/// Parties from which the platform flags a case as involving many people
/// (the same threshold as the risk rules').
const MANY_PARTIES: usize = 10;

/// One historic step, for the timeline.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DisputeStep {
    pub at: i64,
    pub action: &'static str,
    pub public: bool,
    /// Who took it: `mediator`, `organisation`, `party`, `supervisor` or `system`.
    pub role: &'static str,
    pub note: Option<String>,
}

/// One generated case, in the state it has reached by `now`.
#[derive(Clone, Debug, PartialEq)]
pub struct HistoricDispute {
    /// The case as registered (already passing [`NewDispute::check`]).
    pub new: NewDispute,
    /// The grid and its ancestors, deepest first.
    pub chain: Vec<String>,
    /// The final state; id 0 (the store assigns ids).
    pub state: Dispute,
    /// The first is `dispute.open` at `received_at`; each other one is one
    /// accepted command.
    pub steps: Vec<DisputeStep>,
}

// ---------------------------------------------------------------------------
// Organisations and who serves them
// ---------------------------------------------------------------------------

/// Mediation organisations of the demo city: a people's mediation committee
/// for every community (code `pmc-<unit>`), street and district, and a
/// labour (`lab-<district>`), medical (`mdc-<district>`) and traffic
/// (`trf-<district>`) committee in each district. Retired units get none.
pub fn organisations(units: &[Unit]) -> Vec<Organisation> {
    let mut out = Vec::new();
    for u in units.iter().filter(|u| !u.retired) {
        if !matches!(u.level, Level::District | Level::Street | Level::Community) {
            continue;
        }
        out.push(Organisation {
            code: format!("pmc-{}", u.code),
            name: format!("{}人民调解委员会", u.name),
            kind: OrgKind::People,
            unit: u.code.clone(),
        });
        if u.level == Level::District {
            for (prefix, kind) in PROFESSIONAL {
                out.push(Organisation {
                    code: format!("{prefix}-{}", u.code),
                    name: format!("{}{}", u.name, kind.name_zh()),
                    kind,
                    unit: u.code.clone(),
                });
            }
        }
    }
    out
}

/// The professional committees of a district, with their code prefixes.
const PROFESSIONAL: [(&str, OrgKind); 3] = [
    ("lab", OrgKind::Labour),
    ("mdc", OrgKind::Medical),
    ("trf", OrgKind::Traffic),
];

/// Which demo staff (by username) serve which organisations (by code).
///
/// A street's mediator serves the street's committee and the committees of
/// the communities under it; a district's mediators all serve the district
/// committee and two each of its professional committees (in turn); a
/// mediator scoped to a community or grid serves that community's
/// committee. An organisation nobody serves by these rules gets the nearest
/// mediator above it, else the first one below it, so that every
/// organisation has at least one (when there is any mediator at all).
/// Ordered by organisation, then by the staff list.
pub fn memberships(units: &[Unit], staff: &[NewUser]) -> Vec<(String, String)> {
    let orgs = organisations(units);
    let by_code: HashMap<&str, &Unit> = units.iter().map(|u| (u.code.as_str(), u)).collect();
    let parent_of = |code: &str| {
        by_code
            .get(code)
            .and_then(|u| u.parent.as_deref())
            .map(str::to_owned)
    };
    let mut children: HashMap<&str, Vec<&str>> = HashMap::new();
    for u in units {
        if let Some(p) = u.parent.as_deref() {
            children.entry(p).or_default().push(u.code.as_str());
        }
    }
    let mediators: Vec<(&str, &Unit)> = staff
        .iter()
        .filter(|s| s.role == Role::Mediator)
        .filter_map(|s| match &s.scope {
            Scope::Unit(code) => by_code
                .get(code.as_str())
                .map(|u| (s.username.as_str(), *u)),
            _ => None,
        })
        .collect();
    let mut serves: HashMap<String, Vec<&str>> = HashMap::new();
    fn add<'s>(serves: &mut HashMap<String, Vec<&'s str>>, org: String, who: &'s str) {
        let list = serves.entry(org).or_default();
        if !list.contains(&who) {
            list.push(who);
        }
    }
    let mut district_seen: HashMap<&str, usize> = HashMap::new();
    let district_count = |code: &str| {
        mediators
            .iter()
            .filter(|(_, u)| u.code == code && u.level == Level::District)
            .count()
    };
    for (who, unit) in &mediators {
        match unit.level {
            Level::Street => {
                add(&mut serves, format!("pmc-{}", unit.code), who);
                for c in children.get(unit.code.as_str()).into_iter().flatten() {
                    add(&mut serves, format!("pmc-{c}"), who);
                }
            }
            Level::Community => add(&mut serves, format!("pmc-{}", unit.code), who),
            Level::Grid => {
                if let Some(p) = parent_of(&unit.code) {
                    add(&mut serves, format!("pmc-{p}"), who);
                }
            }
            Level::District => {
                add(&mut serves, format!("pmc-{}", unit.code), who);
                let n = district_count(&unit.code).max(1);
                let i = district_seen.entry(unit.code.as_str()).or_default();
                for (k, (prefix, _)) in PROFESSIONAL.iter().enumerate() {
                    // Committee k is served by mediators k and k + 1 (mod n).
                    if k % n == *i || (k + 1) % n == *i {
                        add(&mut serves, format!("{prefix}-{}", unit.code), who);
                    }
                }
                *i += 1;
            }
            Level::City => {}
        }
    }
    // Nobody by the rules: the nearest mediator above, else the first below.
    let within = |inner: &str, outer: &str| {
        let mut unit = Some(inner.to_owned());
        while let Some(u) = unit {
            if u == outer {
                return true;
            }
            unit = parent_of(&u);
        }
        false
    };
    let mut out = Vec::new();
    for o in &orgs {
        let mut list = serves.get(&o.code).cloned().unwrap_or_default();
        if list.is_empty() {
            let mut unit = Some(o.unit.clone());
            while let Some(u) = unit {
                if let Some((who, _)) = mediators.iter().find(|(_, m)| m.code == u) {
                    list.push(who);
                    break;
                }
                unit = parent_of(&u);
            }
        }
        if list.is_empty()
            && let Some((who, _)) = mediators.iter().find(|(_, m)| within(&m.code, &o.unit))
        {
            list.push(who);
        }
        out.extend(list.into_iter().map(|w| (w.to_owned(), o.code.clone())));
    }
    out
}

// ---------------------------------------------------------------------------
// Case templates
// ---------------------------------------------------------------------------

/// Who a party is: a person, or an organisation named from a stem and one
/// of the patterns (`{S}` is the stem).
#[derive(Clone, Copy, Debug)]
enum Who {
    Person,
    Org(&'static [&'static str]),
    /// An organisation this often (percent), else a person.
    Either(u8, &'static [&'static str]),
}

/// One kind of case of a type. Placeholders: `{A}` the first applicant,
/// `{AS}` the applicants (`{A}` or `{A}等N人`), `{R}` the first respondent,
/// `{P}` the community, `{Y}` the amount claimed and `{X}` the amount agreed
/// (yuan).
#[derive(Debug)]
struct Template {
    facts: &'static str,
    claims: &'static str,
    matters: &'static str,
    responsibilities: &'static str,
    /// The respondent's duty under an agreement.
    duty: &'static str,
    how: &'static str,
    /// The applicant's own duty, where the agreement has one.
    applicant_duty: Option<&'static str>,
    /// Yuan at stake (for a group, per applicant), when money is.
    yuan: Option<(u32, u32)>,
    applicant: Who,
    respondent: Who,
    /// Several applicants may bring it together (wage arrears).
    group: bool,
    /// Further respondents: (percent of cases, most added, who).
    extra: Option<(u8, usize, Who)>,
    /// Only in villages (farmland).
    rural: bool,
}

const fn t(facts: &'static str, claims: &'static str, matters: &'static str) -> Template {
    Template {
        facts,
        claims,
        matters,
        responsibilities: "双方对纠纷的发生均负有一定责任，应互谅互让。",
        duty: "履行双方协商一致的事项",
        how: "自觉履行",
        applicant_duty: None,
        yuan: None,
        applicant: Who::Person,
        respondent: Who::Person,
        group: false,
        extra: None,
        rural: false,
    }
}

const PROPERTY_CO: &[&str] = &["大庆{S}物业管理有限公司", "大庆{S}物业服务有限公司"];
const HEAT_CO: &[&str] = &["大庆{S}热力有限公司", "大庆{S}供热有限责任公司"];
const BUILDER: &[&str] = &[
    "大庆{S}建筑工程有限公司",
    "大庆{S}建筑劳务有限公司",
    "大庆{S}建设工程有限公司",
];
const CATERING: &[&str] = &["大庆{S}餐饮管理有限公司", "{S}大酒店", "{S}饭店"];
const EMPLOYER: &[&str] = &[
    "大庆{S}物流有限公司",
    "大庆{S}商贸有限公司",
    "大庆{S}机械制造有限公司",
    "大庆{S}石油技术服务有限公司",
];
const DECORATOR: &[&str] = &["大庆{S}装饰工程有限公司", "{S}装饰设计工作室"];
const PREPAID: &[&str] = &[
    "{S}健身会所",
    "{S}美容美发店",
    "{S}教育培训学校",
    "{S}游泳馆",
];
const APPLIANCE: &[&str] = &["{S}家电商场", "{S}电器商行", "{S}数码城"];
const CAR_DEALER: &[&str] = &["大庆{S}汽车销售服务有限公司"];
const INSURER: &[&str] = &["{S}财产保险股份有限公司大庆中心支公司"];
const HOSPITAL: &[&str] = &["大庆{S}医院", "大庆{S}中医医院"];
const CLINIC: &[&str] = &["{S}口腔门诊部", "{S}口腔诊所"];
const VENUE: &[&str] = &["{S}饭店", "{S}超市", "{S}洗浴中心"];

const ORG_STEMS: &[&str] = &[
    "鑫源",
    "宏达",
    "龙华",
    "恒通",
    "庆丰",
    "华瑞",
    "北辰",
    "新纪元",
    "金港",
    "瑞祥",
    "东升",
    "盛达",
    "天成",
    "永信",
    "广源",
    "百汇",
    "嘉禾",
    "博远",
    "聚鑫",
    "兴隆",
    "福润",
    "昌盛",
    "安泰",
    "润通",
];

const NEIGHBOURS: &[Template] = &[
    Template {
        responsibilities: "{R}对渗水造成的损害承担主要责任，{A}应配合入户维修。",
        duty: "修复卫生间防水层，并赔偿{A}吊顶维修费用{X}元",
        how: "聘请施工人员维修，赔偿款微信转账",
        applicant_duty: Some("配合{R}安排的施工人员入户维修"),
        yuan: Some((800, 8000)),
        ..t(
            "{R}家卫生间防水层老化，多次向楼下{A}家渗水，致{A}家卫生间及客厅吊顶发霉脱落。双方多次协商未果，关系紧张。",
            "要求{R}修复防水层，并赔偿吊顶维修费用{Y}元。",
            "渗水原因及维修费用的承担",
        )
    },
    Template {
        responsibilities: "{R}应遵守装修管理规定、控制噪音；{A}应理性沟通，不得采取过激行为。",
        duty: "每日8时前、12时至14时、18时后不进行产生噪音的装修施工，并向{A}赔礼道歉",
        how: "自觉遵守，物业公司及网格员监督",
        ..t(
            "{R}家装修期间经常在午休和夜间施工，噪音较大，影响楼上楼下邻居休息。{A}多次敲门沟通无果，双方发生口角。",
            "要求{R}在规定时段内施工，夜间及午休时间不得产生噪音，并赔礼道歉。",
            "装修噪音及施工时间",
        )
    },
    Template {
        responsibilities: "{R}占用公共通道并在楼道内充电存在消防隐患，应予纠正。",
        duty: "清理楼道内堆放的杂物，电动车到小区集中充电点停放充电",
        how: "自觉履行，网格员上门查看",
        ..t(
            "{R}在楼道内长期堆放杂物、停放电动车并私拉电线充电。{A}认为存在消防隐患且影响通行，双方多次争执。",
            "要求{R}清理楼道杂物，停止在楼道内充电。",
            "楼道公共空间的占用",
        )
    },
    Template {
        responsibilities: "{R}作为犬只饲养人未尽管理义务，应承担赔偿责任。",
        duty: "赔偿{A}医疗费、误工费等共计{X}元，今后遛犬时拴绳",
        how: "一次性现金支付",
        yuan: Some((600, 5000)),
        ..t(
            "{R}饲养的犬只未拴绳，在小区内将{A}咬伤。{A}到医院处理伤口并注射狂犬疫苗，双方就赔偿问题发生争议。",
            "要求{R}赔偿医疗费、误工费等共计{Y}元。",
            "犬只伤人的赔偿",
        )
    },
    Template {
        responsibilities: "{R}加装的设施影响相邻采光通风，应予调整；{A}应给予合理时间。",
        duty: "拆除阳台外加装的雨搭和晾衣架",
        how: "自行拆除，社区监督",
        extra: Some((8, 1, Who::Person)),
        ..t(
            "{R}在自家阳台外加装雨搭和晾衣架，雨天滴水噪音大，且遮挡楼下{A}家采光。{A}多次要求拆除，{R}不予理睬。",
            "要求{R}拆除加装的雨搭和晾衣架。",
            "相邻采光及滴水噪音",
        )
    },
];

const FAMILY: &[Template] = &[
    Template {
        responsibilities: "子女对父母负有赡养扶助的义务，{R}应履行赡养义务。",
        duty: "按月支付赡养费，每年合计{X}元，并每月至少探望一次",
        how: "每月5日前银行转账",
        yuan: Some((3600, 18000)),
        extra: Some((30, 2, Who::Person)),
        ..t(
            "{A}年逾七旬，独居且患有慢性病。{A}认为子女{R}长期不支付赡养费、很少探望，未尽赡养义务。",
            "要求{R}按月支付赡养费，每年合计{Y}元，并定期探望照料。",
            "赡养费的数额及探望照料",
        )
    },
    Template {
        responsibilities: "夫妻双方应互相尊重、互相关爱，共同承担家庭义务。",
        duty: "戒酒，不对{A}恶语相向，每月工资交由家庭共同支配",
        how: "自觉履行，社区妇联定期回访",
        applicant_duty: Some("搬回家中共同生活，共同承担家务和子女照料"),
        ..t(
            "{A}与{R}系夫妻，婚后常因家庭琐事和经济问题争吵，近期{R}酒后辱骂{A}，矛盾激化，{A}搬回娘家居住。",
            "要求{R}改正酗酒等不良习惯，共同承担家务和子女抚养。",
            "夫妻矛盾及家庭生活安排",
        )
    },
    Template {
        responsibilities: "双方均为第一顺序继承人，应依法平等分割遗产。",
        duty: "取得父母遗留房屋的所有权，并向{A}支付房屋折价款{X}元",
        how: "银行转账，分两期支付",
        yuan: Some((40_000, 300_000)),
        ..t(
            "{A}与{R}系兄弟姐妹，父母去世后在{P}留有住房一套，由{R}居住。双方就房屋继承和分割产生争议。",
            "要求依法分割父母遗留的房产，由{R}给予折价补偿{Y}元。",
            "遗产房屋的继承与分割",
        )
    },
    Template {
        responsibilities: "父母离婚后对子女仍有抚养义务，{R}应按约定支付抚养费。",
        duty: "支付拖欠的抚养费{X}元，此后按月支付",
        how: "银行转账",
        yuan: Some((3000, 30_000)),
        ..t(
            "{A}与{R}已协议离婚，婚生子由{A}抚养，{R}离婚后未按约定支付抚养费。",
            "要求{R}支付拖欠的抚养费{Y}元，并按月支付。",
            "子女抚养费的支付",
        )
    },
];

const PROPERTY: &[Template] = &[
    Template {
        responsibilities: "业主应按约交纳物业服务费；物业公司应改进服务，及时维修电梯。",
        duty: "交纳拖欠的物业服务费{X}元",
        how: "到物业服务中心交纳",
        applicant_duty: Some("在一个月内完成电梯维修，并减免部分滞纳金"),
        yuan: Some((1500, 8000)),
        applicant: Who::Org(PROPERTY_CO),
        ..t(
            "{R}以物业服务不到位、小区电梯经常停运为由，拒交物业服务费已两年，{A}多次催缴未果。",
            "要求{R}交纳拖欠的物业服务费{Y}元。",
            "物业服务费的交纳及服务质量",
        )
    },
    Template {
        responsibilities: "出租人应按约退还押金，可扣除承租人造成损坏的合理维修费用。",
        duty: "扣除合理维修费用后退还押金{X}元",
        how: "微信转账",
        yuan: Some((1000, 6000)),
        ..t(
            "{A}租住{R}位于{P}的住房，租期届满退租时，{R}以墙面污损、家电损坏为由拒不退还押金。",
            "要求{R}退还租房押金{Y}元。",
            "租房押金的退还",
        )
    },
    Template {
        responsibilities: "物业公司未尽安全管理义务，应承担相应赔偿责任。",
        duty: "赔偿{A}车辆维修费{X}元",
        how: "银行转账",
        yuan: Some((2000, 20_000)),
        respondent: Who::Org(PROPERTY_CO),
        ..t(
            "{A}的车辆停放在小区地面车位时被楼上坠落的外墙砖砸坏，{A}认为{R}未尽安全管理义务。",
            "要求{R}赔偿车辆维修费{Y}元。",
            "坠物致车辆损坏的赔偿",
        )
    },
    Template {
        responsibilities: "供热单位应保证室温达标；对未达标期间应按规定退费。",
        duty: "退还未达标期间的部分采暖费{X}元，并对入户管线进行检修",
        how: "在下一采暖期费用中抵扣",
        yuan: Some((400, 3000)),
        respondent: Who::Org(HEAT_CO),
        ..t(
            "采暖期内{A}家室内温度长期低于18℃，多次向{R}反映后未见改善。",
            "要求{R}退还部分采暖费{Y}元，并彻底解决供热不达标问题。",
            "供热不达标及采暖费退还",
        )
    },
];

const LABOUR: &[Template] = &[
    Template {
        responsibilities: "用人单位应按时足额支付劳动报酬，不得以工程款未结清为由拖欠工资。",
        duty: "支付{AS}拖欠的工资共计{X}元",
        how: "按工资表银行转账至各人账户，人社部门监督",
        yuan: Some((3000, 40_000)),
        respondent: Who::Either(75, BUILDER),
        group: true,
        ..t(
            "{AS}受雇于{R}，在{P}附近的建筑工地从事木工、瓦工等工作。工程完工后，{R}以工程款未结清为由拖欠工资至今。",
            "要求{R}支付拖欠的工资共计{Y}元。",
            "拖欠工资的数额及支付时间",
        )
    },
    Template {
        responsibilities: "用人单位停业的，应结清劳动者工资并依法支付经济补偿。",
        duty: "支付{AS}拖欠的工资及经济补偿共计{X}元",
        how: "银行转账",
        yuan: Some((4000, 20_000)),
        respondent: Who::Org(CATERING),
        group: true,
        ..t(
            "{AS}在{R}从事服务员、厨师工作。{R}经营不善停业，拖欠两个月工资，且未支付解除劳动关系的经济补偿。",
            "要求{R}支付拖欠的工资及经济补偿共计{Y}元。",
            "拖欠工资及经济补偿",
        )
    },
    Template {
        responsibilities: "用人单位未依法缴纳工伤保险的，由用人单位承担工伤待遇。",
        duty: "支付{A}医疗费及停工留薪期工资共计{X}元",
        how: "分期银行转账",
        yuan: Some((8000, 80_000)),
        respondent: Who::Org(EMPLOYER),
        ..t(
            "{A}在{R}工作期间受伤，住院治疗多日。{R}未为其缴纳工伤保险，双方就医疗费和停工期间工资发生争议。",
            "要求{R}承担医疗费、停工留薪期工资共计{Y}元。",
            "工伤待遇的承担",
        )
    },
    Template {
        responsibilities: "用人单位解除劳动合同应依法提前通知并支付经济补偿。",
        duty: "支付{AS}经济补偿金共计{X}元，并出具解除劳动合同证明",
        how: "银行转账",
        yuan: Some((5000, 30_000)),
        respondent: Who::Org(EMPLOYER),
        group: true,
        ..t(
            "{R}以经营调整为由口头通知{AS}解除劳动合同，既未提前三十日通知，也未支付经济补偿。",
            "要求{R}支付经济补偿金{Y}元，并出具解除劳动合同证明。",
            "解除劳动合同的经济补偿",
        )
    },
];

const LAND: &[Template] = &[
    Template {
        responsibilities: "{R}应按流转合同约定支付流转费。",
        duty: "支付拖欠的土地流转费{X}元",
        how: "秋收后一次性支付",
        yuan: Some((3000, 40_000)),
        rural: true,
        ..t(
            "{A}将承包的耕地流转给{R}耕种，约定每年秋收后支付流转费，{R}已连续两年未足额支付。",
            "要求{R}支付拖欠的土地流转费{Y}元。",
            "土地流转费的支付",
        )
    },
    Template {
        responsibilities: "双方应按土地承包经营权证确定的四至耕种。",
        duty: "退还多占的耕地，按村委会重新测量的地界耕种",
        how: "村委会现场测量、埋设界桩",
        applicant_duty: Some("配合村委会测量，不得毁坏界桩"),
        rural: true,
        ..t(
            "{A}与{R}两家承包地相邻，{R}春耕时越过地界耕种，双方就地界划分发生争执，险些动手。",
            "要求按照土地承包经营权证确定地界，{R}退还多占的耕地。",
            "承包地地界的划分",
        )
    },
    Template {
        responsibilities: "{R}未按约定完成施工，应返还多收的工程款并承担质量问题的修复费用。",
        duty: "返还多收的工程款并赔偿损失共计{X}元",
        how: "银行转账",
        yuan: Some((5000, 60_000)),
        respondent: Who::Either(60, DECORATOR),
        ..t(
            "{A}与{R}签订房屋装修合同，{R}施工中途停工，已完成部分存在质量问题，{A}已付工程款中有部分未实际施工。",
            "要求{R}返还多收的工程款并赔偿损失共计{Y}元。",
            "装修合同的履行及工程款结算",
        )
    },
    Template {
        responsibilities: "借款到期应当归还，{R}应按约还款。",
        duty: "归还借款{X}元",
        how: "分期银行转账",
        yuan: Some((5000, 200_000)),
        ..t(
            "{R}向{A}借款并出具借条，约定一年内归还。到期后经多次催要，{R}以资金困难为由拒不还款。",
            "要求{R}归还借款{Y}元。",
            "借款的归还",
        )
    },
];

const CONSUMER: &[Template] = &[
    Template {
        responsibilities: "经营者收取预付款后应按约提供服务，停止服务的应退还余额。",
        duty: "退还卡内余额{X}元",
        how: "原路退款",
        yuan: Some((1000, 12_000)),
        respondent: Who::Org(PREPAID),
        ..t(
            "{A}在{R}办理预付费会员卡，后{R}更换经营者，拒绝继续提供服务，也不退还卡内余额。",
            "要求{R}退还卡内余额{Y}元。",
            "预付卡余额的退还",
        )
    },
    Template {
        responsibilities: "商品存在质量问题且多次维修未修复的，经营者应予退换。",
        duty: "为{A}办理退货并退还货款{X}元",
        how: "原路退款",
        yuan: Some((1500, 15_000)),
        respondent: Who::Org(APPLIANCE),
        ..t(
            "{A}在{R}购买的家用电器使用不到一个月即出现故障，多次维修仍未修复，{R}拒绝退换。",
            "要求{R}退货并退还货款{Y}元。",
            "商品质量问题的退换",
        )
    },
    Template {
        responsibilities: "经营者未如实告知车辆维修情况，应承担赔偿责任。",
        duty: "赔偿{A}损失{X}元",
        how: "银行转账",
        yuan: Some((5000, 60_000)),
        respondent: Who::Org(CAR_DEALER),
        ..t(
            "{A}在{R}购买新车，提车后发现车辆有维修喷漆痕迹，{R}事先未如实告知。",
            "要求{R}赔偿损失{Y}元。",
            "新车瑕疵的告知及赔偿",
        )
    },
];

const TRAFFIC: &[Template] = &[
    Template {
        responsibilities: "按交警部门的事故认定，{R}负主要责任，{A}负次要责任。",
        duty: "赔偿{A}医疗费、误工费、车辆损失等共计{X}元",
        how: "保险理赔款及个人补足部分银行转账",
        yuan: Some((3000, 80_000)),
        extra: Some((50, 1, Who::Org(INSURER))),
        ..t(
            "{R}驾驶小型轿车在{P}附近路口右转时，与{A}驾驶的电动自行车发生碰撞，致{A}受伤、车辆受损，交警部门认定{R}负事故主要责任。",
            "要求{R}及保险公司赔偿医疗费、误工费、车辆损失等共计{Y}元。",
            "交通事故损害赔偿",
        )
    },
    Template {
        responsibilities: "按交警部门的事故认定，{R}负事故全部责任。",
        duty: "赔偿{A}车辆维修费及停运损失共计{X}元",
        how: "保险理赔后银行转账",
        yuan: Some((4000, 40_000)),
        respondent: Who::Either(20, EMPLOYER),
        extra: Some((40, 1, Who::Org(INSURER))),
        ..t(
            "{A}驾驶的车辆在{P}附近等信号灯时被{R}的货车追尾，车辆后部严重受损，交警部门认定{R}负全部责任。",
            "要求{R}赔偿车辆维修费及停运损失{Y}元。",
            "追尾事故的车辆损失赔偿",
        )
    },
];

const MEDICAL: &[Template] = &[
    Template {
        responsibilities: "经医疗纠纷人民调解委员会组织专家咨询，{R}在诊疗中存在一定过失，承担次要责任。",
        duty: "赔偿{A}医疗费、护理费等共计{X}元",
        how: "银行转账",
        yuan: Some((20_000, 300_000)),
        respondent: Who::Org(HOSPITAL),
        ..t(
            "{A}的母亲因腹痛在{R}住院手术，术后出现感染并发症，转院治疗花费较大。{A}认为{R}存在诊疗过失。",
            "要求{R}赔偿医疗费、护理费等共计{Y}元。",
            "诊疗过失及赔偿",
        )
    },
    Template {
        responsibilities: "{R}操作不当造成邻牙损伤，应承担后续治疗费用。",
        duty: "退还诊疗费并赔偿后续治疗费用共计{X}元",
        how: "现金支付",
        yuan: Some((2000, 20_000)),
        respondent: Who::Org(CLINIC),
        ..t(
            "{A}在{R}拔牙后持续出血、疼痛，后经其他医院诊断为邻牙损伤。{A}认为{R}操作不当。",
            "要求{R}退还诊疗费并赔偿后续治疗费用{Y}元。",
            "口腔诊疗损害的赔偿",
        )
    },
];

const OTHER: &[Template] = &[
    Template {
        responsibilities: "经营者未尽安全保障义务，应承担主要赔偿责任；{A}自身亦有一定过失。",
        duty: "赔偿{A}医疗费、误工费等共计{X}元",
        how: "银行转账",
        yuan: Some((2000, 30_000)),
        respondent: Who::Org(VENUE),
        ..t(
            "{A}在{R}消费时因地面湿滑摔倒致骨折，双方就赔偿问题协商未果。",
            "要求{R}赔偿医疗费、误工费等共计{Y}元。",
            "经营场所摔伤的赔偿",
        )
    },
    Template {
        responsibilities: "合伙散伙应据实结算，按出资比例分担盈亏。",
        duty: "返还{A}合伙出资及应分盈余共计{X}元",
        how: "银行转账",
        yuan: Some((5000, 80_000)),
        ..t(
            "{A}与{R}合伙经营小超市，散伙时双方就账目结算和剩余货品分配发生争议。",
            "要求{R}返还合伙出资并分配盈余共计{Y}元。",
            "合伙散伙后的结算",
        )
    },
    Template {
        responsibilities: "{R}在群内发布不实言论，应消除影响。",
        duty: "在业主微信群内向{A}公开道歉，并删除不实言论",
        how: "自觉履行，网格员监督",
        ..t(
            "{A}与{R}因小区业主微信群中的言语冲突发生纠纷，{A}认为{R}在群内散布不实言论，损害其名誉。",
            "要求{R}在群内公开道歉并删除不实言论。",
            "网络言论引发的名誉纠纷",
        )
    },
];

fn templates(t: DisputeType) -> &'static [Template] {
    match t {
        DisputeType::Neighbours => NEIGHBOURS,
        DisputeType::FamilyMarriage => FAMILY,
        DisputeType::PropertyTenancy => PROPERTY,
        DisputeType::LabourWage => LABOUR,
        DisputeType::LandContract => LAND,
        DisputeType::Consumer => CONSUMER,
        DisputeType::Traffic => TRAFFIC,
        DisputeType::Medical => MEDICAL,
        DisputeType::Other => OTHER,
    }
}

/// The type mix (percent of a year's cases).
const MIX: [(DisputeType, f64); 9] = [
    (DisputeType::Neighbours, 30.0),
    (DisputeType::FamilyMarriage, 20.0),
    (DisputeType::PropertyTenancy, 15.0),
    (DisputeType::LabourWage, 10.0),
    (DisputeType::LandContract, 8.0),
    (DisputeType::Consumer, 7.0),
    (DisputeType::Traffic, 5.0),
    (DisputeType::Medical, 2.0),
    (DisputeType::Other, 3.0),
];

/// Percent of a type's cases found by grid workers and referred by courts
/// (about 15 % and 5 % over the mix): grid workers find quarrels between
/// neighbours and in families; courts refer contract, tenancy and accident
/// claims.
fn source_shares(t: DisputeType) -> (f64, f64) {
    match t {
        DisputeType::Neighbours => (25.0, 2.0),
        DisputeType::FamilyMarriage => (20.0, 4.0),
        DisputeType::PropertyTenancy => (15.0, 8.0),
        DisputeType::LandContract => (10.0, 10.0),
        DisputeType::Traffic => (5.0, 10.0),
        DisputeType::Consumer | DisputeType::Medical => (5.0, 6.0),
        DisputeType::LabourWage => (5.0, 4.0),
        DisputeType::Other => (5.0, 3.0),
    }
}

/// First day of the Spring Festival (正月初一), 2020–2035.
const SPRING_FESTIVAL: [(i16, i8, i8); 16] = [
    (2020, 1, 25),
    (2021, 2, 12),
    (2022, 2, 1),
    (2023, 1, 22),
    (2024, 2, 10),
    (2025, 1, 29),
    (2026, 2, 17),
    (2027, 2, 6),
    (2028, 1, 26),
    (2029, 2, 13),
    (2030, 2, 3),
    (2031, 1, 23),
    (2032, 2, 11),
    (2033, 1, 31),
    (2034, 2, 19),
    (2035, 2, 8),
];

/// The Spring Festival of `year` (about 1 February outside the table).
fn spring_festival(year: i16) -> Date {
    SPRING_FESTIVAL
        .iter()
        .find(|(y, _, _)| *y == year)
        .map_or_else(|| date(year, 2, 1), |&(y, m, d)| date(y, m, d))
}

/// Days from `d` to the next Spring Festival (0 on the day itself) and days
/// since the last one.
fn festival_distance(d: Date) -> (i64, i64) {
    let this = spring_festival(d.year());
    let next = if d <= this {
        this
    } else {
        spring_festival(d.year() + 1)
    };
    let last = if d >= this {
        this
    } else {
        spring_festival(d.year() - 1)
    };
    let days = |a: Date, b: Date| i64::from((b - a).get_days());
    (days(d, next), days(last, d))
}

/// Seasonal weight of a type on a day.
fn seasonal(t: DisputeType, d: Date) -> f64 {
    match t {
        DisputeType::LabourWage => match festival_distance(d).0 {
            0..=27 => 3.0,
            28..=55 => 1.8,
            _ => 0.8,
        },
        DisputeType::Neighbours | DisputeType::PropertyTenancy => match d.month() {
            6..=8 => 1.5,
            5 | 9 => 1.15,
            _ => 0.85,
        },
        _ => 1.0,
    }
}

/// How busy the mediation rooms are on a day (about 1 on average).
fn day_factor(d: Date) -> f64 {
    let since = festival_distance(d).1;
    if (0..7).contains(&since) || festival_distance(d).0 == 1 {
        return 0.3;
    }
    if d.month() == 10 && d.day() <= 7 {
        return 0.4;
    }
    match d.weekday() {
        Weekday::Saturday | Weekday::Sunday => 0.6,
        _ => 1.16,
    }
}

// ---------------------------------------------------------------------------
// Generation
// ---------------------------------------------------------------------------

/// Generate about `per_year` disputes received in the year before `now`,
/// each played through `Dispute::apply`. `mediators` maps an organisation's
/// code to the ids of the users who serve it; a case whose organisation has
/// none stays unassigned and stops before its first session.
/// `progress(done, total)` is called once per day generated (of 365).
pub fn generate(
    units: &[Unit],
    orgs: &[Organisation],
    mediators: &BTreeMap<String, Vec<i64>>,
    now: Timestamp,
    per_year: u32,
    seed: u64,
    progress: &mut dyn FnMut(u64, u64),
) -> Vec<HistoricDispute> {
    generate_counted(units, orgs, mediators, now, per_year, seed, progress).0
}

/// [`generate`], and how many faults it met: commands the workflow refused
/// (a refused command stops its case where it is) and cases left out
/// because they failed their checks or no organisation covered them. Each
/// is a bug here.
fn generate_counted(
    units: &[Unit],
    orgs: &[Organisation],
    mediators: &BTreeMap<String, Vec<i64>>,
    now: Timestamp,
    per_year: u32,
    seed: u64,
    progress: &mut dyn FnMut(u64, u64),
) -> (Vec<HistoricDispute>, u64) {
    let mut rng = ChaCha8Rng::seed_from_u64(seed ^ 0x0d15_9a7e_0f0f);
    let Ok(territory) = Territory::new(units.to_vec()) else {
        return (Vec::new(), 0);
    };
    let grids: Vec<&Unit> = territory
        .units()
        .iter()
        .filter(|u| u.level == Level::Grid && !u.retired && u.label.is_some())
        .collect();
    if grids.is_empty() || orgs.is_empty() {
        return (Vec::new(), 0);
    }
    let weights: Vec<f64> = grids
        .iter()
        .map(|g| f64::from(g.households.unwrap_or(400)))
        .collect();
    let total_weight: f64 = weights.iter().sum();
    let base_total: f64 = MIX.iter().map(|(_, w)| w).sum();
    let ctx = Ctx {
        t: &territory,
        orgs,
        mediators,
        now: now.as_microsecond(),
    };
    let today = local_date(now);
    let per_day = f64::from(per_year) / 365.0;
    let mut phones = HashSet::new();
    let mut refused = 0;
    let mut out = Vec::with_capacity(per_year as usize + 100);
    let days: i32 = 365;
    for back in (0..days).rev() {
        let Ok(day) = today.checked_sub(jiff::Span::new().days(back)) else {
            continue;
        };
        let day_start = start_of_day(day).as_microsecond();
        let type_weights: Vec<f64> = MIX.iter().map(|(t, w)| w * seasonal(*t, day)).collect();
        let type_total: f64 = type_weights.iter().sum();
        let mean = per_day * type_total / base_total * day_factor(day);
        // Rounded at random, so that small cities keep their yearly total.
        let n = (mean * rng.random_range(0.85..1.15) + rng.random::<f64>()).floor() as u32;
        for _ in 0..n {
            let dtype = MIX[pick(&mut rng, &type_weights, type_total)].0;
            let grid = grids[pick(&mut rng, &weights, total_weight)];
            let received =
                day_start + rng.random_range(8 * HOUR + 30 * MINUTE..17 * HOUR + 30 * MINUTE);
            if received > ctx.now {
                continue;
            }
            if let Some((case, faults)) = open(&mut rng, &ctx, &mut phones, dtype, grid, received) {
                refused += faults;
                out.extend(case);
            }
        }
        progress(
            u64::try_from(days - back).unwrap_or(0),
            u64::try_from(days).unwrap_or(0),
        );
    }
    out.sort_by_key(|c| c.state.received_at);
    (out, refused)
}

fn pick(rng: &mut ChaCha8Rng, weights: &[f64], total: f64) -> usize {
    let mut x = rng.random_range(0.0..total);
    for (i, w) in weights.iter().enumerate() {
        if x < *w {
            return i;
        }
        x -= w;
    }
    weights.len() - 1
}

struct Ctx<'a> {
    t: &'a Territory,
    orgs: &'a [Organisation],
    mediators: &'a BTreeMap<String, Vec<i64>>,
    now: i64,
}

/// Names and amounts of one case, for the texts.
struct Vars {
    a: String,
    applicants: String,
    r: String,
    place: String,
    claim: String,
    agreed: String,
}

impl Vars {
    fn fill(&self, s: &str) -> String {
        s.replace("{AS}", &self.applicants)
            .replace("{A}", &self.a)
            .replace("{R}", &self.r)
            .replace("{P}", &self.place)
            .replace("{Y}", &self.claim)
            .replace("{X}", &self.agreed)
    }
}

fn org_name(rng: &mut ChaCha8Rng, patterns: &[&str]) -> String {
    let pattern = patterns[rng.random_range(0..patterns.len())];
    let stem = ORG_STEMS[rng.random_range(0..ORG_STEMS.len())];
    pattern.replace("{S}", stem)
}

fn party(
    rng: &mut ChaCha8Rng,
    phones: &mut HashSet<String>,
    who: Who,
    side: Side,
    home: &str,
    urban: bool,
) -> PartyInfo {
    let org = match who {
        Who::Person => None,
        Who::Org(p) => Some(p),
        Who::Either(pct, p) => (rng.random_range(0..100) < pct).then_some(p),
    };
    match org {
        Some(p) => PartyInfo {
            side,
            kind: PartyKind::Organisation,
            name: org_name(rng, p),
            phone: Some(names::phone(rng, phones)),
            address: None,
            user_id: None,
        },
        None => {
            let address = if urban {
                format!(
                    "{home}{}号楼{}单元{}{:02}室",
                    rng.random_range(1..40),
                    rng.random_range(1..7),
                    rng.random_range(1..8),
                    rng.random_range(1..5)
                )
            } else {
                format!(
                    "{home}{}组{}号",
                    rng.random_range(1..9),
                    rng.random_range(1..80)
                )
            };
            PartyInfo {
                side,
                kind: PartyKind::Person,
                name: names::person_name(rng),
                phone: Some(names::phone(rng, phones)),
                address: Some(address),
                user_id: None,
            }
        }
    }
}

/// Yuan rounded to what people write in a claim.
fn round_yuan(y: f64) -> u64 {
    let step = if y >= 10_000.0 { 100.0 } else { 10.0 };
    ((y / step).round() * step).max(step) as u64
}

/// A case received at `received` in `grid`, registered and played forward,
/// with the number of faults: commands the workflow refused, or the case
/// itself when it fails its checks or no organisation covers it (bugs here
/// either way). `None` for a grid outside any community or district.
fn open(
    rng: &mut ChaCha8Rng,
    ctx: &Ctx<'_>,
    phones: &mut HashSet<String>,
    dtype: DisputeType,
    grid: &Unit,
    received: i64,
) -> Option<(Option<HistoricDispute>, u64)> {
    let chain = ctx.t.chain(&grid.code);
    let at_level = |level: Level| {
        chain
            .iter()
            .filter_map(|c| ctx.t.get(c))
            .find(|u| u.level == level)
    };
    let community = at_level(Level::Community)?;
    let district = at_level(Level::District)?;
    let urban = community.name.ends_with("社区");
    let all = templates(dtype);
    let fitting: Vec<&Template> = all.iter().filter(|t| !t.rural || !urban).collect();
    let tpl = *fitting.get(rng.random_range(0..fitting.len().max(1)))?;

    // Source.
    let (grid_pct, court_pct) = source_shares(dtype);
    let roll = rng.random_range(0.0..100.0);
    let source = if roll < court_pct {
        Source::CourtReferral
    } else if roll < court_pct + grid_pct {
        Source::GridReport
    } else if rng.random_bool(0.55) {
        Source::WalkIn
    } else {
        Source::ResidentRequest
    };
    let court = format!("{}人民法院", district.name);

    // Parties.
    let applicants = if tpl.group {
        match rng.random_range(0..100) {
            0..=64 => 1,
            65..=84 => rng.random_range(2..=4),
            _ => rng.random_range(5..=30),
        }
    } else {
        1
    };
    let mut parties = Vec::new();
    for _ in 0..applicants {
        parties.push(party(
            rng,
            phones,
            tpl.applicant,
            Side::Applicant,
            &community.name,
            urban,
        ));
    }
    parties.push(party(
        rng,
        phones,
        tpl.respondent,
        Side::Respondent,
        &community.name,
        urban,
    ));
    if let Some((pct, most, who)) = tpl.extra
        && rng.random_range(0..100) < pct
    {
        for _ in 0..rng.random_range(1..=most) {
            parties.push(party(
                rng,
                phones,
                who,
                Side::Respondent,
                &community.name,
                urban,
            ));
        }
    }

    // Amounts.
    let claim_yuan = tpl.yuan.map(|(lo, hi)| {
        let each =
            |rng: &mut ChaCha8Rng| round_yuan(rng.random_range(f64::from(lo)..=f64::from(hi)));
        (0..applicants).map(|_| each(rng)).sum::<u64>()
    });
    let agreed_yuan = claim_yuan.map(|y| {
        let share = if dtype == DisputeType::LabourWage {
            rng.random_range(0.85..=1.0)
        } else {
            rng.random_range(0.55..=1.0)
        };
        round_yuan(y as f64 * share).min(y)
    });
    let first = |side: Side| {
        parties
            .iter()
            .find(|p| p.side == side)
            .map(|p| p.name.clone())
            .unwrap_or_default()
    };
    let a = first(Side::Applicant);
    let vars = Vars {
        applicants: if applicants > 1 {
            format!("{a}等{applicants}人")
        } else {
            a.clone()
        },
        a,
        r: first(Side::Respondent),
        place: community.name.clone(),
        claim: claim_yuan.map(|y| y.to_string()).unwrap_or_default(),
        agreed: agreed_yuan.map(|y| y.to_string()).unwrap_or_default(),
    };

    // The place: near the grid's label, inside the grid.
    let label = grid.label?;
    let jitter = (
        label.x() + rng.random_range(-0.0004..0.0004),
        label.y() + rng.random_range(-0.0004..0.0004),
    );
    let inside = grid
        .boundary
        .as_ref()
        .is_some_and(|b| b.contains(&geo::Point::new(jitter.0, jitter.1)));
    let point = if inside {
        jitter
    } else {
        (label.x(), label.y())
    };
    let address = if urban {
        format!("{}{}号楼附近", community.name, rng.random_range(1..40))
    } else {
        format!("{}{}组", community.name, rng.random_range(1..9))
    };

    let new = NewDispute {
        dispute_type: dtype,
        source,
        facts: vars.fill(tpl.facts),
        claims: vars.fill(tpl.claims),
        amount_fen: claim_yuan
            .and_then(|y| i64::try_from(y).ok())
            .map(|y| y * 100),
        point: Some(point),
        address: Some(address),
        unit: None,
        parties,
        appeal_id: None,
        court: (source == Source::CourtReferral).then(|| court.clone()),
    }
    .check();
    // Every generated case is a valid one: a failure here is a bug, counted.
    let Ok(new) = new else {
        return Some((None, 1));
    };

    let shape = CaseShape {
        dispute_type: dtype,
        location_chain: &chain,
        amount_fen: new.amount_fen,
        parties: new.parties.len(),
    };
    let Some(org) = org::choose(&shape, ctx.orgs, ctx.t) else {
        return Some((None, 1));
    };
    let state = Dispute::new(0, source, org.code.clone(), &new.sides(), received);
    let (role, note) = match source {
        Source::ResidentRequest => ("party", None),
        Source::WalkIn => ("organisation", Some("当事人来访登记".to_owned())),
        Source::GridReport => ("organisation", Some("网格员排查发现并上报".to_owned())),
        Source::CourtReferral => ("organisation", Some(format!("{court}诉前委派调解"))),
        Source::Appeal => ("organisation", None),
    };
    let mut p = Play {
        rng,
        ctx,
        d: state,
        steps: vec![DisputeStep {
            at: received,
            action: "dispute.open",
            public: true,
            role,
            note,
        }],
        refused: 0,
        cursor: received,
        tpl,
        vars,
        dtype,
        district: district.name.clone(),
        street: at_level(Level::Street)
            .map(|s| s.name.clone())
            .unwrap_or_default(),
        court,
        agreed_yuan,
        applicants,
    };
    let _ = p.run();
    let refused = p.refused;
    let Play { d, steps, .. } = p;
    Some((
        Some(HistoricDispute {
            new,
            chain,
            state: d,
            steps,
        }),
        refused,
    ))
}

/// How a consent round ended.
enum Consent {
    Given,
    Refused,
    Withdrawn,
}

/// How a mediation round ended.
enum Mediated {
    Agreed,
    Failed,
    Withdrawn,
}

/// How an agreement ended.
enum Performed {
    Closed,
    Breached,
    Rejected,
}

/// Why a case is unsettled at the end.
#[derive(Clone, Copy)]
enum Why {
    Refused,
    NoAgreement,
    Breached,
    Rejected,
}

/// A case being played forward.
struct Play<'a, 'c> {
    rng: &'a mut ChaCha8Rng,
    ctx: &'a Ctx<'c>,
    d: Dispute,
    steps: Vec<DisputeStep>,
    refused: u64,
    /// The time of the last step: steps never go back in time.
    cursor: i64,
    tpl: &'static Template,
    vars: Vars,
    dtype: DisputeType,
    district: String,
    street: String,
    court: String,
    agreed_yuan: Option<u64>,
    applicants: usize,
}

impl Play<'_, '_> {
    /// Apply a command at `at` (not before the last step) if that moment has
    /// come. `None` stops the case where it is: the moment is after `now`,
    /// or (a bug) the workflow refused.
    fn go(
        &mut self,
        at: i64,
        cmd: Command,
        actor: Actor,
        role: &'static str,
        note: Option<String>,
    ) -> Option<()> {
        let at = at.max(self.cursor);
        if at > self.ctx.now {
            return None;
        }
        match self.d.apply(&cmd, &actor, at) {
            Ok((next, ev)) => {
                self.d = next;
                self.cursor = at;
                self.steps.push(DisputeStep {
                    at,
                    action: ev.action,
                    public: ev.public,
                    role,
                    note: note.or(ev.note),
                });
                Some(())
            }
            Err(_) => {
                self.refused += 1;
                None
            }
        }
    }

    fn chance(&mut self, p: f64) -> bool {
        self.rng.random_bool(p.clamp(0.0, 1.0))
    }

    fn days(&mut self, lo: f64, hi: f64) -> i64 {
        (self.rng.random_range(lo..hi) * DAY as f64) as i64
    }

    fn minutes(&mut self, lo: i64, hi: i64) -> i64 {
        self.rng.random_range(lo..hi) * MINUTE
    }

    /// The same moment if within office hours (08:30–17:30 local), else the
    /// next morning.
    fn office(&mut self, at: i64) -> i64 {
        let tod = (at + 8 * HOUR).rem_euclid(DAY);
        let jitter = self.minutes(0, 90);
        if tod < 8 * HOUR + 30 * MINUTE {
            at - tod + 9 * HOUR + jitter
        } else if tod > 17 * HOUR + 30 * MINUTE {
            at - tod + DAY + 9 * HOUR + jitter
        } else {
            at
        }
    }

    /// The staff actor for a command any staff may issue.
    fn staff(&self) -> (Actor, &'static str) {
        if self.d.mediators.is_empty() {
            (Actor::Organisation, "organisation")
        } else {
            (Actor::Mediator, "mediator")
        }
    }

    fn org(&self) -> Option<&Organisation> {
        self.ctx.orgs.iter().find(|o| o.code == self.d.org)
    }

    fn org_name(&self) -> String {
        self.org().map(|o| o.name.clone()).unwrap_or_default()
    }

    fn pick_text(&mut self, list: &[&str]) -> String {
        list[self.rng.random_range(0..list.len())].to_owned()
    }

    /// Assign one or two of the organisation's mediators (none recused);
    /// nothing when it has none.
    fn assign(&mut self, at: i64) -> Option<()> {
        let mut pool: Vec<i64> = self
            .ctx
            .mediators
            .get(&self.d.org)
            .map(|m| {
                m.iter()
                    .copied()
                    .filter(|id| !self.d.recusals.iter().any(|r| r.mediator == *id))
                    .collect()
            })
            .unwrap_or_default();
        pool.sort_unstable();
        pool.dedup();
        if pool.is_empty() {
            return Some(());
        }
        let n = if pool.len() > 1 && self.chance(0.3) {
            2
        } else {
            1
        };
        let mut chosen = Vec::new();
        while chosen.len() < n {
            let m = pool.swap_remove(self.rng.random_range(0..pool.len()));
            chosen.push(m);
        }
        self.go(
            at,
            Command::AssignMediators { mediators: chosen },
            Actor::Organisation,
            "organisation",
            None,
        )
    }

    /// Overdue: the platform escalates to the committee above (or only
    /// supervises when there is none); the new committee assigns mediators.
    fn escalate(&mut self, at: i64) -> Option<()> {
        let to = self
            .org()
            .and_then(|o| org::above(o, self.ctx.orgs, self.ctx.t))
            .map(|o| o.code.clone());
        self.go(
            at,
            Command::Escalate { to_org: to },
            Actor::System,
            "system",
            None,
        )?;
        if self.d.mediators.is_empty() {
            let at = self.cursor + self.minutes(30, 600);
            let at = self.office(at);
            self.assign(at)?;
        }
        Some(())
    }

    fn flag_repeated(&mut self) -> Option<()> {
        if self.d.failed_rounds + self.d.breaches >= 2
            && !self.d.risk.contains(&RiskReason::RepeatedFailure)
        {
            let at = self.cursor + MINUTE;
            self.go(
                at,
                Command::FlagRisk {
                    reasons: vec![RiskReason::RepeatedFailure],
                    note: "多次调解未果，提请关注".into(),
                },
                Actor::System,
                "system",
                None,
            )?;
        }
        Some(())
    }

    fn run(&mut self) -> Option<()> {
        let t0 = self.d.received_at;
        if self.d.parties.len() >= MANY_PARTIES {
            let note = format!("涉及当事人{}人", self.d.parties.len());
            self.go(
                t0 + MINUTE,
                Command::FlagRisk {
                    reasons: vec![RiskReason::ManyParties],
                    note,
                },
                Actor::System,
                "system",
                None,
            )?;
        }
        let at = t0 + self.minutes(10, 240);
        let at = self.office(at);
        self.assign(at)?;
        let mut round = 0;
        loop {
            match self.consent(round)? {
                Consent::Given => {}
                Consent::Refused => return self.end_unsettled(Why::Refused),
                Consent::Withdrawn => return Some(()),
            }
            match self.mediate(round)? {
                Mediated::Agreed => {}
                Mediated::Withdrawn => return Some(()),
                Mediated::Failed => {
                    self.flag_repeated()?;
                    if round == 0 && self.chance(0.15) {
                        self.reopen("双方同意在调解员主持下再次调解")?;
                        round += 1;
                        continue;
                    }
                    return self.end_unsettled(Why::NoAgreement);
                }
            }
            match self.perform()? {
                Performed::Closed => return Some(()),
                Performed::Breached => {
                    self.flag_repeated()?;
                    if round == 0 && self.chance(0.4) {
                        self.reopen("被申请人未按协议履行，申请人要求再次调解")?;
                        round += 1;
                        continue;
                    }
                    return self.end_unsettled(Why::Breached);
                }
                Performed::Rejected => {
                    if round == 0 && self.chance(0.3) {
                        self.reopen("法院未确认调解协议，双方同意重新调解")?;
                        round += 1;
                        continue;
                    }
                    return self.end_unsettled(Why::Rejected);
                }
            }
        }
    }

    fn reopen(&mut self, reason: &str) -> Option<()> {
        let at = self.cursor + self.days(1.0, 10.0);
        let at = self.office(at);
        let (actor, role) = self.staff();
        self.go(
            at,
            Command::Reopen {
                reason: reason.into(),
            },
            actor,
            role,
            None,
        )
    }

    fn record_consent(
        &mut self,
        at: i64,
        party: usize,
        consent: bool,
        by_party: bool,
    ) -> Option<()> {
        let (actor, role) = if by_party {
            (Actor::Party(party), "party")
        } else {
            self.staff()
        };
        let note = (!consent).then(|| "被申请人表示不同意调解".to_owned());
        self.go(
            at,
            Command::RecordConsent { party, consent },
            actor,
            role,
            note,
        )
    }

    /// Ask every party for consent: applicants first, respondents within days.
    fn consent(&mut self, round: u32) -> Option<Consent> {
        let court = self.d.source == Source::CourtReferral && round == 0;
        let gap = if court {
            self.days(0.5, 3.0)
        } else if round == 0 {
            self.minutes(5, 60)
        } else {
            self.days(0.2, 2.0)
        };
        let mut at = self.cursor + gap;
        at = self.office(at);
        let n = self.d.parties.len();
        let own_request = self.d.source == Source::ResidentRequest;
        for i in 0..self.applicants.min(n) {
            let by_party = own_request && self.chance(0.4);
            self.record_consent(at, i, true, by_party)?;
            at = self.cursor + self.minutes(1, 4);
        }
        if !court && round == 0 && self.chance(0.015) {
            // The respondent cannot be reached within the week.
            let due = self.d.due?;
            let at = due + self.minutes(5, 30);
            self.escalate(at)?;
        }
        if self.chance(0.01) {
            let at = self.cursor + self.days(1.0, 4.0);
            let latest = self.d.due? - HOUR;
            let at = self.office(at).min(latest);
            self.go(
                at,
                Command::Withdraw {
                    reason: "双方已自行协商解决，申请人撤回调解申请".into(),
                },
                Actor::Party(0),
                "party",
                None,
            )?;
            return Some(Consent::Withdrawn);
        }
        let refuse = self.chance(0.06);
        let mut at = self.cursor;
        for j in self.applicants.min(n)..n {
            let latest = self.d.due? - HOUR;
            at += self.days(0.3, 4.0);
            at = self.office(at).min(latest);
            if refuse {
                self.record_consent(at, j, false, false)?;
                return Some(Consent::Refused);
            }
            let by_party = self.chance(0.15);
            self.record_consent(at, j, true, by_party)?;
        }
        Some(Consent::Given)
    }

    fn session(&mut self, at: i64, minutes: String) -> Option<()> {
        let at = at.max(self.cursor);
        let online = self.chance(0.07);
        let place = if online {
            "线上视频调解".to_owned()
        } else {
            format!("{}调解室", self.org_name())
        };
        let n = self.d.parties.len();
        let present = if self.applicants > 3 {
            // Workers' representatives and the employer.
            (0..3).chain(self.applicants..n).collect()
        } else {
            (0..n).collect()
        };
        self.go(
            at,
            Command::HoldSession {
                session: Session {
                    at,
                    place,
                    online,
                    parties_present: present,
                    minutes,
                },
            },
            Actor::Mediator,
            "mediator",
            None,
        )
    }

    fn minutes_text(&self, i: usize, k: usize, agreed: bool) -> String {
        let m = self.vars.fill(self.tpl.matters);
        if i + 1 < k {
            if i == 0 {
                format!(
                    "听取双方陈述，核实{m}有关事实和证据，调解员释法说理，双方分歧仍较大，约定再次调解。"
                )
            } else {
                "采取背靠背方式分别做双方工作，结合法律规定和类似案例讲明利弊，双方立场有所松动。"
                    .to_owned()
            }
        } else if agreed {
            if k == 1 {
                format!(
                    "听取双方陈述，调解员释法说理，双方就{m}达成一致意见，当场签署人民调解协议书。"
                )
            } else {
                format!("在调解员主持下双方充分协商，就{m}达成一致意见，当场签署人民调解协议书。")
            }
        } else {
            format!("双方各执己见，经反复释法说理，仍无法就{m}达成一致。")
        }
    }

    /// Sessions, then an agreement or none.
    fn mediate(&mut self, round: u32) -> Option<Mediated> {
        if self.d.status != Status::Mediating || self.d.mediators.is_empty() {
            // Nobody to mediate: the case waits here.
            return None;
        }
        let accepted = self.cursor;
        if round == 0 && self.chance(0.01) {
            let note = self.pick_text(&[
                "申请人情绪激动，扬言若不解决将对被申请人采取过激行为，已报告辖区派出所和综治中心，做好稳控。",
                "双方在调解室发生推搡，一方扬言报复，已通报辖区派出所并安排专人跟进。",
                "当事人多次到对方家中吵闹并声称要拼命，已联系派出所民警共同做好疏导。",
            ]);
            let at = accepted + self.minutes(60, 48 * 60);
            let at = self.office(at);
            self.go(
                at,
                Command::FlagRisk {
                    reasons: vec![RiskReason::Threats],
                    note,
                },
                Actor::Mediator,
                "mediator",
                None,
            )?;
        }
        if round == 0 && self.chance(0.03) {
            self.recuse()?;
        }
        let mut k = match self.rng.random_range(0..100) {
            0..=54 => 1,
            55..=84 => 2,
            _ => 3,
        };
        if self.applicants >= 5 || self.d.parties.len() > 3 {
            k += 1;
        }
        if round > 0 {
            k = 1;
        }
        let escalated = round == 0 && self.chance(0.015);
        let extend = !escalated && k >= 2 && self.chance(0.08);
        let withdraw = self.chance(0.01);
        let p_agree = if round == 0 { 0.915 } else { 0.75 };
        let agree = self.chance(p_agree);

        // The first session.
        let first = self.cursor + self.days(0.5, 6.0);
        let first = self.office(first);
        let latest = self.d.due? - 6 * HOUR;
        let first = first.min(latest);
        let solo = k == 1 && !escalated;
        let text = self.minutes_text(0, if solo { 1 } else { 2 }, agree);
        self.session(first, text)?;
        if withdraw && !solo {
            let at = self.cursor + self.days(1.0, 5.0);
            let at = self.office(at).min(latest);
            self.go(
                at,
                Command::Withdraw {
                    reason: "双方已自行和解，申请人撤回调解申请".into(),
                },
                Actor::Party(0),
                "party",
                None,
            )?;
            return Some(Mediated::Withdrawn);
        }
        if escalated {
            // No progress within the time limit: escalated, the committee
            // above takes over and concludes within its own limit.
            let due = self.d.due?;
            let at = due + self.minutes(5, 30);
            self.escalate(at)?;
            if self.d.mediators.is_empty() {
                return None;
            }
            let agree = self.chance(0.8);
            let sessions = self.rng.random_range(1..=2);
            for i in 0..sessions {
                let latest = self.d.due? - 6 * HOUR;
                let at = self.cursor + self.days(1.0, 5.0);
                let at = self.office(at).min(latest);
                let text = if i == 0 && sessions > 1 {
                    format!(
                        "{}接手后重新听取双方意见，梳理争议焦点，约定再次调解。",
                        self.org_name()
                    )
                } else {
                    self.minutes_text(1, 2, agree)
                };
                self.session(at, text)?;
            }
            return self.conclude(agree);
        }
        if extend {
            let days = self.rng.random_range(10..=30);
            let at = self.cursor + self.minutes(60, 180);
            self.go(
                at,
                Command::Extend {
                    days,
                    reason: "案情较为复杂，经双方当事人同意延长调解期限".into(),
                    parties_agree: true,
                },
                Actor::Mediator,
                "mediator",
                None,
            )?;
        }
        if k > 1 {
            // The remaining sessions fit before the time limit.
            let latest = self.d.due? - 6 * HOUR;
            let mut gaps: Vec<f64> = (1..k).map(|_| self.rng.random_range(2.0..9.0)).collect();
            let total: f64 = gaps.iter().sum();
            let room = (latest - self.cursor) as f64 / DAY as f64 * 0.8;
            if total > room {
                for g in &mut gaps {
                    *g *= room / total;
                }
            }
            for (i, g) in gaps.into_iter().enumerate() {
                let at = self.cursor + (g * DAY as f64) as i64;
                let at = self.office(at).min(latest);
                let text = self.minutes_text(i + 1, k, agree);
                self.session(at, text)?;
            }
        }
        self.conclude(agree)
    }

    /// A party objects to a mediator, who leaves; another takes the seat.
    fn recuse(&mut self) -> Option<()> {
        let Some(&mediator) = self.d.mediators.first() else {
            return Some(());
        };
        let spare: Vec<i64> = self
            .ctx
            .mediators
            .get(&self.d.org)
            .map(|m| {
                m.iter()
                    .copied()
                    .filter(|id| *id != mediator && !self.d.mediators.contains(id))
                    .filter(|id| !self.d.recusals.iter().any(|r| r.mediator == *id))
                    .collect()
            })
            .unwrap_or_default();
        if spare.is_empty() {
            return Some(());
        }
        let respondent = self.applicants.min(self.d.parties.len() - 1);
        let (party, reason) = if self.chance(0.5) {
            (0, "申请人提出调解员与被申请人系亲属关系，申请回避")
        } else {
            (
                respondent,
                "被申请人认为调解员与申请人系同事，可能影响公正调解，申请回避",
            )
        };
        let at = self.cursor + self.minutes(60, 36 * 60);
        let at = self.office(at);
        self.go(
            at,
            Command::ObjectToMediator {
                party,
                mediator,
                reason: reason.into(),
            },
            Actor::Party(party),
            "party",
            None,
        )?;
        let mut seats = self.d.mediators.clone();
        seats.push(spare[self.rng.random_range(0..spare.len())]);
        let at = self.cursor + self.minutes(60, 24 * 60);
        let at = self.office(at);
        self.go(
            at,
            Command::AssignMediators { mediators: seats },
            Actor::Organisation,
            "organisation",
            None,
        )
    }

    /// The outcome of the last session: an agreement signed, or none.
    fn conclude(&mut self, agree: bool) -> Option<Mediated> {
        let at = self.cursor + self.minutes(20, 150);
        if !agree {
            let reason = self.pick_text(&[
                "双方对赔偿数额分歧过大，无法达成一致",
                "被申请人否认责任，拒绝承担任何费用",
                "一方当事人不再参加调解",
                "双方各执己见，调解未能达成协议",
            ]);
            self.go(
                at,
                Command::NoAgreement { reason },
                Actor::Mediator,
                "mediator",
                None,
            )?;
            return Some(Mediated::Failed);
        }
        let agreement = self.agreement(at);
        self.go(
            at,
            Command::RecordAgreement { agreement },
            Actor::Mediator,
            "mediator",
            None,
        )?;
        Some(Mediated::Agreed)
    }

    fn agreement(&mut self, at: i64) -> Agreement {
        let n = self.d.parties.len();
        let respondent = self.applicants.min(n - 1);
        let big = self.agreed_yuan.is_some_and(|y| y >= 50_000);
        let money = self.agreed_yuan.is_some();
        let (by, how) = if big {
            let k = self.rng.random_range(2..=6);
            (
                at + self.days(60.0, 180.0),
                format!("{}，分{k}期履行", self.vars.fill(self.tpl.how)),
            )
        } else if money && self.chance(0.25) {
            (at + self.minutes(30, 120), "当场履行".to_owned())
        } else {
            (at + self.days(3.0, 30.0), self.vars.fill(self.tpl.how))
        };
        let place = format!("{}调解室", self.org_name());
        let mut obligations = vec![Obligation {
            party: respondent,
            duty: self.vars.fill(self.tpl.duty),
            how,
            place: place.clone(),
            by,
        }];
        if let Some(duty) = self.tpl.applicant_duty {
            obligations.push(Obligation {
                party: 0,
                duty: self.vars.fill(duty),
                how: "自觉履行".into(),
                place,
                by,
            });
        }
        Agreement {
            facts: self.vars.fill(self.tpl.facts),
            matters: self.vars.fill(self.tpl.matters),
            responsibilities: self.vars.fill(self.tpl.responsibilities),
            obligations,
            signed_by: (0..n).collect(),
        }
    }

    /// Judicial confirmation for some; follow-up visits after the
    /// performance date.
    fn perform(&mut self) -> Option<Performed> {
        let agreed = self.cursor;
        // Threats calm down once the parties have signed; the other reasons
        // are the platform's to keep while they hold.
        if self.d.risk == [RiskReason::Threats] && self.chance(0.7) {
            let at = agreed + self.minutes(60, 24 * 60);
            let at = self.office(at);
            self.go(
                at,
                Command::ClearRisk {
                    note: "协议已签订，当事人情绪平稳，风险已化解".into(),
                },
                Actor::Mediator,
                "mediator",
                None,
            )?;
        }
        let big = self.agreed_yuan.is_some_and(|y| y >= 50_000);
        let by = self.d.follow_up_due()?;
        // Nothing to confirm when it was performed on the spot.
        let later = by - agreed > DAY;
        if later && self.chance(if big { 0.25 } else { 0.09 }) {
            let at = agreed + self.days(1.0, 20.0);
            let at = self.office(at);
            let (actor, role) = if self.chance(0.6) {
                (Actor::Party(0), "party")
            } else {
                (Actor::Mediator, "mediator")
            };
            let court = self.court.clone();
            self.go(
                at,
                Command::ApplyForConfirmation { court },
                actor,
                role,
                None,
            )?;
            let at = self.cursor + self.days(1.0, 5.0);
            let at = self.office(at);
            self.go(
                at,
                Command::CourtAccepted,
                Actor::Organisation,
                "organisation",
                None,
            )?;
            let at = self.cursor + self.days(3.0, 15.0);
            let at = self.office(at);
            let rejected = self.chance(0.05);
            let (ruling, note) = if rejected {
                (
                    Ruling::Rejected,
                    "调解协议部分内容超出当事人处分范围，裁定驳回申请",
                )
            } else {
                (Ruling::Confirmed, "裁定调解协议有效，当事人应当履行")
            };
            self.go(
                at,
                Command::CourtRuling {
                    ruling,
                    note: Some(note.into()),
                },
                Actor::Organisation,
                "organisation",
                None,
            )?;
            if rejected {
                return Some(Performed::Rejected);
            }
        }
        if by - agreed > 60 * DAY {
            let at = agreed + (by - agreed) / 2;
            let at = self.office(at);
            self.go(
                at,
                Command::FollowUp {
                    performance: Performance::Performing,
                    note: "回访得知已按期履行第一期，其余正在履行".into(),
                },
                Actor::Mediator,
                "mediator",
                None,
            )?;
        }
        let at = by.max(self.cursor) + self.days(0.5, 10.0);
        let at = self.office(at);
        let roll = self.rng.random_range(0..1000);
        if roll < 35 {
            self.go(
                at,
                Command::FollowUp {
                    performance: Performance::Breached,
                    note: "回访得知被申请人未按协议约定履行义务".into(),
                },
                Actor::Mediator,
                "mediator",
                None,
            )?;
            return Some(Performed::Breached);
        }
        if roll < 85 {
            self.go(
                at,
                Command::FollowUp {
                    performance: Performance::Performing,
                    note: "回访得知协议已部分履行，被申请人承诺近期履行完毕".into(),
                },
                Actor::Mediator,
                "mediator",
                None,
            )?;
        }
        let at = if roll < 85 {
            self.cursor + self.days(7.0, 30.0)
        } else {
            at
        };
        let at = self.office(at);
        let note = self.pick_text(&[
            "回访当事人，协议已全部履行完毕，双方表示满意",
            "回访确认协议已履行，双方关系恢复正常",
            "电话回访，申请人确认已履行到位",
        ]);
        self.go(
            at,
            Command::FollowUp {
                performance: Performance::Performed,
                note,
            },
            Actor::Mediator,
            "mediator",
            None,
        )?;
        Some(Performed::Closed)
    }

    /// An unsettled case is referred on, or closed with every route left open.
    fn end_unsettled(&mut self, why: Why) -> Option<()> {
        let refer = match why {
            Why::Refused => self.chance(0.55),
            Why::NoAgreement => self.chance(0.85),
            Why::Breached | Why::Rejected => true,
        };
        let at = self.cursor + self.days(0.5, 5.0);
        let at = self.office(at);
        let (actor, role) = self.staff();
        if !refer {
            let reason = match why {
                Why::Refused => "被申请人不同意调解，已告知申请人可依法通过诉讼等途径解决",
                _ => "双方分歧较大，当事人表示暂不寻求其他途径解决，终止调解",
            };
            return self.go(
                at,
                Command::Close {
                    reason: reason.into(),
                },
                actor,
                role,
                None,
            );
        }
        let (channel, to, reason) = self.referral(why);
        self.go(
            at,
            Command::Refer {
                channel,
                to,
                reason: reason.into(),
            },
            actor,
            role,
            None,
        )?;
        let (lo, hi) = match channel {
            Channel::Litigation => (30.0, 120.0),
            Channel::Arbitration => (30.0, 60.0),
            Channel::AdministrativeMediation | Channel::AdministrativeReconsideration => {
                (7.0, 30.0)
            }
        };
        let at = self.cursor + self.days(lo, hi);
        let at = self.office(at);
        let resolved = self.chance(0.75);
        let result = match (channel, resolved) {
            (Channel::Litigation, true) => self.pick_text(&[
                "经法院审理，双方在法院主持下达成调解",
                "法院已作出判决，支持申请人部分请求",
            ]),
            (Channel::Litigation, false) => "申请人表示暂不起诉".to_owned(),
            (Channel::Arbitration, true) => {
                "仲裁委员会裁决被申请人支付拖欠的工资，已执行完毕".to_owned()
            }
            (Channel::Arbitration, false) => "当事人不服仲裁裁决，已向人民法院起诉".to_owned(),
            (_, true) => "经行政调解双方达成协议".to_owned(),
            (_, false) => "行政调解未达成协议，已告知当事人诉讼途径".to_owned(),
        };
        self.go(
            at,
            Command::ReferralResult { resolved, result },
            Actor::Organisation,
            "organisation",
            None,
        )
    }

    /// Where a case goes when mediation did not settle it.
    fn referral(&mut self, why: Why) -> (Channel, String, &'static str) {
        let court = self.court.clone();
        let litigation = (
            Channel::Litigation,
            court,
            "调解未能达成协议，引导当事人依法向人民法院起诉",
        );
        if matches!(why, Why::Breached) && self.d.confirmed() {
            return (
                Channel::Litigation,
                self.court.clone(),
                "调解协议经司法确认后未履行，引导申请人向人民法院申请强制执行",
            );
        }
        if matches!(why, Why::Rejected) {
            return litigation;
        }
        let d = self.district.clone();
        let admin = |to: String| {
            (
                Channel::AdministrativeMediation,
                to,
                "引导当事人申请有关行政机关调解",
            )
        };
        let admin_share = match self.dtype {
            DisputeType::LabourWage => {
                return (
                    Channel::Arbitration,
                    format!("{d}劳动人事争议仲裁委员会"),
                    "调解未能达成协议，告知当事人依法申请劳动仲裁",
                );
            }
            DisputeType::FamilyMarriage | DisputeType::Other => 0.0,
            DisputeType::Consumer => 0.5,
            DisputeType::Neighbours => 0.5,
            DisputeType::LandContract => 0.4,
            DisputeType::PropertyTenancy | DisputeType::Traffic => 0.3,
            DisputeType::Medical => 0.2,
        };
        if !self.chance(admin_share) {
            return litigation;
        }
        let to = match self.dtype {
            DisputeType::Consumer => format!("{d}市场监督管理局"),
            DisputeType::Traffic => format!("大庆市公安局交通警察支队{d}大队"),
            DisputeType::PropertyTenancy => format!("{d}住房和城乡建设局"),
            DisputeType::LandContract => format!("{d}农业农村局"),
            DisputeType::Medical => format!("{d}卫生健康局"),
            _ => format!("{}派出所", self.street.trim_end_matches("街道")),
        };
        admin(to)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

    use super::*;
    use crate::demo::{DEMO_DISTRICT, DemoCity, DemoConfig, generate as city};
    use crate::mediation::Outcome;

    fn small_city() -> DemoCity {
        city(
            &DemoConfig {
                seed: 11,
                scale: 0.1,
            },
            &mut |_, _, _| {},
        )
        .unwrap()
    }

    /// The mediators map as the loader builds it: user ids by staff index.
    fn mediators(c: &DemoCity) -> BTreeMap<String, Vec<i64>> {
        let id = |name: &str| c.staff.iter().position(|s| s.username == name).unwrap() as i64 + 1;
        let mut map: BTreeMap<String, Vec<i64>> = BTreeMap::new();
        for (user, org) in memberships(&c.units, &c.staff) {
            map.entry(org).or_default().push(id(&user));
        }
        map
    }

    const PER_YEAR: u32 = 4000;

    fn year(c: &DemoCity, seed: u64, per_year: u32) -> (Vec<HistoricDispute>, u64, Timestamp) {
        let now: Timestamp = "2026-07-15T04:00:00Z".parse().unwrap();
        let orgs = organisations(&c.units);
        let (cases, refused) = generate_counted(
            &c.units,
            &orgs,
            &mediators(c),
            now,
            per_year,
            seed,
            &mut |_, _| {},
        );
        (cases, refused, now)
    }

    #[test]
    fn organisations_and_memberships() {
        let c = small_city();
        let orgs = organisations(&c.units);
        let count = |level| c.units.iter().filter(|u| u.level == level).count();
        assert_eq!(
            orgs.len(),
            count(Level::Community) + count(Level::Street) + 4 * count(Level::District)
        );
        let codes: HashSet<&str> = orgs.iter().map(|o| o.code.as_str()).collect();
        assert_eq!(codes.len(), orgs.len());
        let sartu = orgs.iter().find(|o| o.code == "lab-230602").unwrap();
        assert_eq!(sartu.name, "萨尔图区劳动争议调解委员会");
        assert_eq!(sartu.kind, OrgKind::Labour);
        assert!(
            orgs.iter()
                .any(|o| o.code == "pmc-230602" && o.name == "萨尔图区人民调解委员会")
        );
        let members = memberships(&c.units, &c.staff);
        for o in &orgs {
            assert!(
                members.iter().any(|(_, org)| *org == o.code),
                "{} has no mediator",
                o.code
            );
        }
        for (user, org) in &members {
            assert!(codes.contains(org.as_str()));
            let s = c.staff.iter().find(|s| s.username == *user).unwrap();
            assert_eq!(s.role, Role::Mediator);
        }
        // The demo login serves its street and the communities under it.
        let street = c
            .units
            .iter()
            .find(|u| u.parent.as_deref() == Some(DEMO_DISTRICT))
            .unwrap();
        let serves = |org: &str| members.iter().any(|(u, o)| u == "mediator" && o == org);
        assert!(serves(&format!("pmc-{}", street.code)));
        for community in c
            .units
            .iter()
            .filter(|u| u.parent.as_deref() == Some(street.code.as_str()))
        {
            assert!(serves(&format!("pmc-{}", community.code)));
        }
        // District and professional committees are served at district level.
        for o in orgs.iter().filter(|o| o.unit.len() == 6) {
            assert!(
                members
                    .iter()
                    .any(|(u, org)| *org == o.code && u.starts_with(&format!("med-{}-", o.unit)))
            );
        }
    }

    #[test]
    fn a_year_of_disputes_is_realistic_and_reachable() {
        let c = small_city();
        let (cases, refused, now) = year(&c, 3, PER_YEAR);
        assert_eq!(refused, 0, "the workflow refused a generated command");
        let n = cases.len();
        assert!((3400..4600).contains(&n), "{n} cases");
        let now_us = now.as_microsecond();
        let t = Territory::new(c.units.clone()).unwrap();
        let orgs = organisations(&c.units);
        for d in &cases {
            assert!(d.state.invariant_holds(), "{:?}", d.state);
            assert_eq!(d.new.clone().check().as_ref(), Ok(&d.new));
            assert_eq!(d.steps[0].action, "dispute.open");
            assert_eq!(d.steps[0].at, d.state.received_at);
            // One step per accepted command after the opening.
            assert_eq!(d.steps.len() as i64, d.state.version);
            assert!(d.steps.windows(2).all(|w| w[0].at <= w[1].at));
            assert!(d.steps.iter().all(|s| s.at <= now_us));
            // Open cases are not left overdue (an escalation may be minutes away).
            if d.state.status.is_timed() {
                assert!(d.state.due.unwrap() >= now_us - HOUR, "{:?}", d.state);
            }
            assert!(d.state.received_at >= now_us - 366 * DAY);
            let first = orgs.iter().find(|o| o.code == d.state.first_org).unwrap();
            assert!(
                d.chain.contains(&first.unit),
                "{} not over {:?}",
                first.code,
                d.chain
            );
            let org = orgs.iter().find(|o| o.code == d.state.org).unwrap();
            assert!(d.chain.contains(&org.unit));
            assert_eq!(d.chain, t.chain(&d.chain[0]));
            assert_eq!(t.get(&d.chain[0]).unwrap().level, Level::Grid);
            for s in &d.steps {
                assert!(
                    ["mediator", "organisation", "party", "supervisor", "system"].contains(&s.role)
                );
            }
            for p in &d.new.parties {
                assert_eq!(p.phone.as_ref().unwrap().len(), 11);
            }
        }
        let share = |pred: &dyn Fn(&HistoricDispute) -> bool| {
            cases.iter().filter(|d| pred(d)).count() as f64 / n as f64 * 100.0
        };
        // Type mix near the targets (percentage points).
        for (ty, target) in MIX {
            let s = share(&|d| d.new.dispute_type == ty);
            let tolerance = (target * 0.15).max(1.0);
            assert!(
                (s - target).abs() < tolerance,
                "{ty:?} {s:.1} % vs {target}"
            );
        }
        let grid = share(&|d| d.new.source == Source::GridReport);
        let court = share(&|d| d.new.source == Source::CourtReferral);
        assert!((11.0..19.0).contains(&grid), "grid reports {grid:.1} %");
        assert!((3.0..7.5).contains(&court), "court referrals {court:.1} %");
        for d in cases
            .iter()
            .filter(|d| d.new.source == Source::CourtReferral)
        {
            assert!(d.new.court.as_deref().unwrap().ends_with("人民法院"));
        }
        let labour_groups = cases
            .iter()
            .filter(|d| d.new.dispute_type == DisputeType::LabourWage && d.state.parties.len() >= 6)
            .count();
        assert!(labour_groups > 10, "{labour_groups} group wage cases");
        let orgs_as_parties = cases
            .iter()
            .filter(|d| {
                d.new
                    .parties
                    .iter()
                    .any(|p| p.kind == PartyKind::Organisation)
            })
            .count();
        assert!(orgs_as_parties * 100 > n * 15, "{orgs_as_parties}");

        // Outcomes.
        let settled = |d: &HistoricDispute| d.state.received_at < now_us - 150 * DAY;
        let old: Vec<&HistoricDispute> = cases.iter().filter(|d| settled(d)).collect();
        let mediated = old.iter().filter(|d| !d.state.sessions.is_empty()).count();
        let agreed = old.iter().filter(|d| d.state.agreed_at.is_some()).count();
        let rate = agreed as f64 / mediated as f64;
        assert!((0.84..0.96).contains(&rate), "agreement rate {rate:.3}");
        let refused_consent = old
            .iter()
            .filter(|d| {
                d.steps
                    .iter()
                    .any(|s| s.note.as_deref() == Some("被申请人表示不同意调解"))
            })
            .count();
        let r = refused_consent as f64 / old.len() as f64;
        assert!((0.03..0.09).contains(&r), "consent refused {r:.3}");
        let closed = old
            .iter()
            .filter(|d| d.state.status == Status::Closed)
            .count();
        assert!(
            closed * 100 > old.len() * 85,
            "{closed} of {} closed",
            old.len()
        );
        let confirmed = old
            .iter()
            .filter(|d| d.state.confirmation.is_some())
            .count();
        let c_rate = confirmed as f64 / agreed as f64;
        assert!((0.05..0.16).contains(&c_rate), "confirmation {c_rate:.3}");
        assert!(old.iter().any(|d| d.state.breaches > 0));
        assert!(old.iter().any(|d| d.state.extension_days > 0));
        assert!(
            old.iter()
                .any(|d| d.state.escalations > 0 && d.state.org != d.state.first_org)
        );
        assert!(old.iter().any(|d| !d.state.recusals.is_empty()));
        assert!(old.iter().any(|d| {
            d.steps
                .iter()
                .any(|s| s.action == "dispute.flag_risk" && s.role == "mediator")
        }));
        assert!(old.iter().any(|d| matches!(
            d.state.outcome,
            Some(Outcome::Referred {
                channel: Channel::Arbitration,
                ..
            })
        )));
        // Recent cases are still under way.
        let recent = cases
            .iter()
            .filter(|d| d.state.received_at > now_us - 20 * DAY);
        assert!(recent.filter(|d| d.state.is_open()).count() > 50);

        // Fengqiao: most agreements at community or street level.
        let local = cases
            .iter()
            .filter(|d| d.state.agreed_at.is_some())
            .filter(|d| {
                matches!(
                    org::level_of(
                        &orgs.iter().find(|o| o.code == d.state.org).unwrap().unit,
                        &t
                    ),
                    Some(Level::Community | Level::Street)
                )
            })
            .count();
        let all_agreed = cases.iter().filter(|d| d.state.agreed_at.is_some()).count();
        assert!(
            local * 100 > all_agreed * 70,
            "{local} of {all_agreed} local"
        );

        // Seasons: wages before the Spring Festival (2026-02-17), neighbours in summer.
        let per_day = |ty: DisputeType, from: &str, to: &str| {
            let from: Date = from.parse().unwrap();
            let to: Date = to.parse().unwrap();
            let days = (to - from).get_days() as f64;
            cases
                .iter()
                .filter(|d| d.new.dispute_type == ty)
                .filter(|d| {
                    let day = local_date(Timestamp::from_microsecond(d.state.received_at).unwrap());
                    day >= from && day < to
                })
                .count() as f64
                / days
        };
        let before = per_day(DisputeType::LabourWage, "2026-01-20", "2026-02-16");
        let spring = per_day(DisputeType::LabourWage, "2026-03-01", "2026-06-01");
        assert!(
            before > 2.5 * spring,
            "{before:.2} vs {spring:.2} wage cases a day"
        );
        let summer = per_day(DisputeType::Neighbours, "2025-07-15", "2025-09-01");
        let winter = per_day(DisputeType::Neighbours, "2025-11-01", "2026-01-01");
        assert!(
            summer > 1.3 * winter,
            "{summer:.2} vs {winter:.2} neighbour cases a day"
        );

        // The figures, for whoever reads the test output.
        let mut by_status: BTreeMap<&str, usize> = BTreeMap::new();
        let mut by_outcome: BTreeMap<String, usize> = BTreeMap::new();
        for d in &cases {
            *by_status.entry(d.state.status.as_str()).or_default() += 1;
            if let Some(o) = &d.state.outcome {
                let key = match o {
                    Outcome::Referred { channel, resolved } => {
                        format!("referred/{}/{}", channel.as_str(), resolved)
                    }
                    o => o.kind().to_owned(),
                };
                *by_outcome.entry(key).or_default() += 1;
            }
        }
        println!("{n} cases; by status {by_status:?}; outcomes {by_outcome:?}");
        let count =
            |pred: &dyn Fn(&HistoricDispute) -> bool| cases.iter().filter(|d| pred(d)).count();
        let types: Vec<String> = MIX
            .iter()
            .map(|(ty, _)| format!("{} {}", ty.as_str(), count(&|d| d.new.dispute_type == *ty)))
            .collect();
        let sources: Vec<String> = Source::ALL
            .iter()
            .map(|s| format!("{} {}", s.as_str(), count(&|d| d.new.source == *s)))
            .collect();
        println!("types {types:?}; sources {sources:?}");
        println!(
            "escalated {}, extended {}, recusals {}, threats {}, many parties {}, breached {}, confirmed {}, reopened {}",
            count(&|d| d.state.escalations > 0),
            count(&|d| d.state.extension_days > 0),
            count(&|d| !d.state.recusals.is_empty()),
            count(&|d| d
                .steps
                .iter()
                .any(|s| s.action == "dispute.flag_risk" && s.role == "mediator")),
            count(&|d| d.state.risk.contains(&RiskReason::ManyParties)),
            count(&|d| d.state.breaches > 0),
            count(&|d| d.state.confirmed()),
            count(&|d| d.steps.iter().any(|s| s.action == "dispute.reopen")),
        );
        println!(
            "agreement rate {rate:.3}, confirmation {c_rate:.3}, consent refused {r:.3}, local agreements {local}/{all_agreed}"
        );
    }

    #[test]
    fn the_same_seed_gives_the_same_year() {
        let c = small_city();
        let (a, _, _) = year(&c, 9, 1000);
        let (b, _, _) = year(&c, 9, 1000);
        let (other, _, _) = year(&c, 10, 1000);
        assert_eq!(a, b);
        assert_ne!(a, other);
    }

    #[test]
    fn festival_arithmetic() {
        assert_eq!(festival_distance(date(2026, 2, 17)), (0, 0));
        assert_eq!(festival_distance(date(2026, 2, 10)).0, 7);
        assert_eq!(festival_distance(date(2026, 2, 20)).1, 3);
        assert_eq!(festival_distance(date(2025, 12, 31)).0, 48);
        assert_eq!(spring_festival(2099), date(2099, 2, 1));
    }
}
