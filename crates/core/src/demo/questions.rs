//! The demo city's public questions (网络问政): what residents of a cold
//! oil city ask its departments, asked over the past two months, most
//! answered within the limit, some late, some still open — so the portal
//! and the department's queue show every state. Deterministic by seed.

use jiff::Timestamp;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use crate::accounts::Department;
use crate::appeals::calendar::HolidayCalendar;
use crate::appeals::category::{TimeLimit, due};

use super::DEMO_DISTRICT;

/// (department kind, title, question, answer).
const TEMPLATES: &[(&str, &str, &str, &str)] = &[
    (
        "housing",
        "老旧小区加装电梯有补贴吗？",
        "我们楼是1990年代的六层楼，住户想加装电梯，请问政府有没有补贴，标准是多少，需要多少户同意？",
        "您好。既有住宅加装电梯按每部电梯给予定额补贴，需本单元三分之二以上业主同意、其余业主无书面反对意见。申请材料及流程可到区住建局窗口或社区咨询。",
    ),
    (
        "housing",
        "物业费上涨需要业主同意吗？",
        "小区物业通知明年物业费每平方米涨0.3元，没有开业主大会，这样合规吗？",
        "您好。普通住宅前期物业服务收费实行政府指导价，调整须依法公示并经业主共同决定。我局已责成街道指导该小区召开业主大会，物业在此之前不得按新标准收费。",
    ),
    (
        "heating",
        "今年供暖什么时候开始？",
        "天已经很冷了，请问今年市区正式供暖日期是哪天？能否提前试运行？",
        "您好。今年市区于10月10日开始试运行，10月15日正式供暖。如室温低于18℃，可拨打供热服务热线报修测温。",
    ),
    (
        "heating",
        "家里暖气不热，供热公司说管网问题，该找谁？",
        "我家室温只有15度，供热公司来看过说是小区二次管网的问题，物业又说不归它管，到底谁负责？",
        "您好。小区二次管网已移交供热企业的由供热企业负责，未移交的由产权单位负责。经核实您小区已移交，我办已要求供热企业三日内完成管网排查并回访测温。",
    ),
    (
        "urban_management",
        "小区门口占道经营能不能管一管？",
        "每天早上小区门口都有流动摊贩占道，车辆进出困难，还有油烟，请问城管能否定时巡查？",
        "您好。我局已将该路段纳入早市时段重点巡查，并在附近规划便民疏导点，引导摊贩入点经营。如仍有占道情况，可随时拨打12345反映。",
    ),
    (
        "urban_management",
        "冬季清雪能不能先清人行道？",
        "每次下雪后主路清得很快，但人行道和公交站台积雪结冰，老人出行很危险。",
        "您好。按照清雪预案，主干道与人行道、公交站台同步作业，沿街单位负责门前责任区。我们将加强对人行道和站台的督查，并对未履行责任的单位依法处理。",
    ),
    (
        "human_resources",
        "灵活就业人员怎么交养老保险？",
        "我是个体户，想以灵活就业人员身份缴纳养老保险，请问在哪里办理，缴费基数怎么选？",
        "您好。灵活就业人员可通过社保网上服务平台或就近社保经办窗口办理参保登记，缴费基数可在全省上年度平均工资的60%至300%之间自行选择。",
    ),
    (
        "human_resources",
        "被拖欠工资应该去哪里投诉？",
        "我在一家装修公司干了三个月，老板一直拖着不发工资，请问应该向哪个部门投诉？需要什么材料？",
        "您好。可携带身份证、劳动合同或工作证明、考勤记录等材料到劳动保障监察机构投诉，也可拨打12333。我局受理后将在规定时限内调查处理。",
    ),
    (
        "market_supervision",
        "超市卖过期食品怎么举报？",
        "在附近超市买到了过期两天的牛奶，超市只同意退货，请问怎么举报？",
        "您好。可拨打12315或通过全国12315平台举报，请保留购物小票和商品。经营者销售过期食品的，我局将依法查处，您还可依法要求赔偿。",
    ),
    (
        "transport",
        "能否增加到新区的公交班次？",
        "早高峰从老城区到高新区的公交车太挤，经常等两三趟都上不去，能否增加班次或开通大站快车？",
        "您好。我局已会同公交公司对该线路早高峰客流进行调查，计划自下月起早高峰加密班次，并试开一条大站快线。",
    ),
    (
        "water",
        "小区停水为什么没有提前通知？",
        "昨天小区突然停水一整天，没有任何通知，请问计划停水应提前多久通知？",
        "您好。计划停水须提前24小时通知用户。经查，此次为管道突发爆裂抢修，供水企业未及时通过社区发布信息，我局已责令其改进应急通知流程。",
    ),
    (
        "environment",
        "附近工厂夜间有异味，能否检测？",
        "最近晚上经常闻到刺鼻的气味，怀疑是附近化工厂排放，请问能否安排夜间监测？",
        "您好。我局已安排夜间执法检查和走航监测，监测结果将在官网公开。如再次闻到异味，请及时拨打12369，便于我们现场取证。",
    ),
    (
        "education",
        "小学入学学区怎么划分？",
        "孩子明年上小学，我们刚买的房子在两个学校中间，请问学区划分在哪里查？",
        "您好。各小学招生范围于每年春季在教育局官网和学校公告栏公布，也可到区教育局招生办查询具体门牌号对应学校。",
    ),
    (
        "health",
        "社区医院能否开设老年人慢病门诊？",
        "我们社区老人多，很多人有高血压糖尿病，每次开药都要去大医院，社区卫生服务中心能否开慢病门诊？",
        "您好。辖区社区卫生服务中心已开设慢病管理门诊，签约家庭医生后可按长处方开药，最长可开具12周用量。",
    ),
];

/// How a demo question ends up.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Outcome {
    Open,
    Answered { at: i64, text: String },
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HistoricQuestion {
    pub department: String,
    pub title: String,
    pub body: String,
    pub asked_at: i64,
    pub answer_by: i64,
    pub outcome: Outcome,
}

const DAY_MICROS: i64 = 86_400_000_000;

/// `n` questions asked over the 60 days before `now`, to the departments of
/// the template's kind (half in the demo district), oldest first.
pub fn generate(
    departments: &[Department],
    calendar: &HolidayCalendar,
    limit: &TimeLimit,
    n: usize,
    seed: u64,
    now: Timestamp,
) -> Vec<HistoricQuestion> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed ^ 0x5155_4553_5449_4f4e);
    let now_us = now.as_microsecond();
    let mut out = Vec::with_capacity(n);
    for i in 0..n {
        let (kind, title, body, answer) = TEMPLATES[i % TEMPLATES.len()];
        let of_kind: Vec<&Department> = departments.iter().filter(|d| d.kind == kind).collect();
        let in_demo: Vec<&&Department> =
            of_kind.iter().filter(|d| d.unit == DEMO_DISTRICT).collect();
        let department = if !in_demo.is_empty() && rng.random_bool(0.5) {
            in_demo[rng.random_range(0..in_demo.len())]
        } else if !of_kind.is_empty() {
            &of_kind[rng.random_range(0..of_kind.len())]
        } else {
            continue;
        };
        let asked_at = now_us - rng.random_range(DAY_MICROS / 2..60 * DAY_MICROS);
        let asked = Timestamp::from_microsecond(asked_at).unwrap_or(now);
        let answer_by = due(calendar, limit, asked).reply_by.as_microsecond();
        // Most are answered in time, some late, some not yet.
        let roll: f64 = rng.random();
        let answered_at = if roll < 0.75 {
            Some(asked_at + (answer_by - asked_at) * rng.random_range(10..95) / 100)
        } else if roll < 0.85 {
            Some(answer_by + rng.random_range(DAY_MICROS / 4..4 * DAY_MICROS))
        } else {
            None
        };
        let outcome = match answered_at {
            Some(at) if at < now_us => Outcome::Answered {
                at,
                text: answer.to_owned(),
            },
            _ => Outcome::Open,
        };
        out.push(HistoricQuestion {
            department: department.code.clone(),
            title: title.to_owned(),
            body: body.to_owned(),
            asked_at,
            answer_by,
            outcome,
        });
    }
    out.sort_by_key(|q| q.asked_at);
    out
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

    use super::*;
    use crate::accounts::DEPARTMENT_KINDS;
    use crate::appeals::category::LimitClass;
    use crate::questions::intake::{QuestionInput, check};
    use jiff::SignedDuration;

    fn span(questions: &[HistoricQuestion]) -> SignedDuration {
        match (questions.first(), questions.last()) {
            (Some(a), Some(b)) => SignedDuration::from_micros(b.asked_at - a.asked_at),
            _ => SignedDuration::ZERO,
        }
    }

    fn departments() -> Vec<Department> {
        ["2306", DEMO_DISTRICT, "230603"]
            .into_iter()
            .flat_map(|u| {
                DEPARTMENT_KINDS.iter().map(move |k| Department {
                    code: format!("{u}-{}", k.abbrev),
                    name: k.name.into(),
                    name_en: k.name_en.into(),
                    kind: k.key.into(),
                    unit: u.into(),
                })
            })
            .collect()
    }

    #[test]
    fn every_state_is_shown_and_every_question_is_valid() {
        let now: Timestamp = "2026-11-22T02:00:00Z".parse().unwrap();
        let cal = HolidayCalendar::builtin();
        let limit = LimitClass::General.standard_limit();
        let deps = departments();
        let qs = generate(&deps, &cal, &limit, 60, 7, now);
        assert_eq!(qs.len(), 60, "every template's kind has departments");
        assert_eq!(
            qs,
            generate(&deps, &cal, &limit, 60, 7, now),
            "deterministic"
        );
        assert!(span(&qs) > SignedDuration::from_hours(24 * 30));
        let answered = |late: bool| {
            qs.iter()
                .filter(|q| matches!(q.outcome, Outcome::Answered { at, .. } if (at >= q.answer_by) == late))
                .count()
        };
        assert!(
            answered(false) > 30 && answered(true) > 0,
            "{} {}",
            answered(false),
            answered(true)
        );
        assert!(
            qs.iter()
                .any(|q| q.outcome == Outcome::Open && q.answer_by < now.as_microsecond())
        );
        for q in &qs {
            assert!(q.asked_at < now.as_microsecond() && q.asked_at < q.answer_by);
            if let Outcome::Answered { at, .. } = q.outcome {
                assert!(q.asked_at < at && at < now.as_microsecond());
            }
            let input = QuestionInput {
                department: Some(q.department.clone()),
                title: Some(q.title.clone()),
                body: Some(q.body.clone()),
            };
            check(&input, |c| deps.iter().any(|d| d.code == c)).unwrap();
        }
        assert!(
            qs.iter()
                .any(|q| q.department == format!("{DEMO_DISTRICT}-HS"))
        );
    }
}
