//! Word lists for the demo city: place-name stems, personal names, phone
//! prefixes. Invented but typical of Heilongjiang; none names a real person.

use std::collections::HashSet;

use rand::Rng;
use rand::seq::SliceRandom;

/// The districts and counties of Daqing: code, Chinese name, English name,
/// short English name, whether urban (streets and communities rather than
/// towns and villages), relative number of grids.
pub(super) struct DistrictInfo {
    pub code: &'static str,
    pub name: &'static str,
    pub name_en: &'static str,
    pub short_en: &'static str,
    pub urban: bool,
    /// Grids at scale 1.0; the sum is 1,500.
    pub grids: u32,
}

const fn d(
    code: &'static str,
    name: &'static str,
    name_en: &'static str,
    short_en: &'static str,
    urban: bool,
    grids: u32,
) -> DistrictInfo {
    DistrictInfo {
        code,
        name,
        name_en,
        short_en,
        urban,
        grids,
    }
}

pub(super) const DISTRICTS: [DistrictInfo; 9] = [
    d("230602", "萨尔图区", "Sartu District", "Sartu", true, 230),
    d(
        "230603",
        "龙凤区",
        "Longfeng District",
        "Longfeng",
        true,
        220,
    ),
    d(
        "230604",
        "让胡路区",
        "Ranghulu District",
        "Ranghulu",
        true,
        230,
    ),
    d(
        "230605",
        "红岗区",
        "Honggang District",
        "Honggang",
        true,
        160,
    ),
    d("230606", "大同区", "Datong District", "Datong", true, 160),
    d(
        "230621",
        "肇州县",
        "Zhaozhou County",
        "Zhaozhou",
        false,
        125,
    ),
    d(
        "230622",
        "肇源县",
        "Zhaoyuan County",
        "Zhaoyuan",
        false,
        125,
    ),
    d("230623", "林甸县", "Lindian County", "Lindian", false, 125),
    d(
        "230624",
        "杜尔伯特蒙古族自治县",
        "Dorbod Mongol Autonomous County",
        "Dorbod",
        false,
        125,
    ),
];

pub(super) const STREET_STEMS: &[&str] = &[
    "铁人",
    "会战",
    "友谊",
    "富强",
    "拥军",
    "东风",
    "火炬",
    "东安",
    "黎明",
    "银浪",
    "湖滨",
    "乘风",
    "卧里屯",
    "东光",
    "兴化",
    "三永",
    "龙政",
    "西宾",
    "庆新",
    "奋斗",
    "胜利",
    "解放",
    "创业",
    "学府",
    "庆葡",
    "高台子",
    "新华",
    "庆化",
    "红卫",
    "喇嘛甸",
    "远望",
    "东湖",
    "西湖",
    "北湖",
    "南湖",
    "宏伟",
    "阳光",
    "长青",
    "春雷",
    "朝阳",
    "光明",
    "育才",
    "祥阁",
    "龙岗",
    "凯旋",
    "星火",
    "石油",
    "八一",
    "五四",
    "滨洲",
    "振兴",
    "繁荣",
    "团结",
    "青年",
    "卫星",
    "幸福",
];

pub(super) const TOWN_STEMS: &[&str] = &[
    "丰乐",
    "兴城",
    "永乐",
    "朝阳沟",
    "二井",
    "托古",
    "双发",
    "榆树",
    "新福",
    "永胜",
    "茂兴",
    "古龙",
    "新站",
    "头台",
    "二站",
    "三站",
    "民意",
    "义顺",
    "浩德",
    "超等",
    "薄荷台",
    "福兴",
    "大兴",
    "新发",
    "长胜",
    "四合",
    "花园",
    "东兴",
    "巴彦查干",
    "他拉哈",
    "一心",
    "克尔台",
    "敖林西伯",
    "江湾",
    "连环湖",
    "胡吉吐莫",
    "腰新",
    "烟筒屯",
    "泰康",
    "四季青",
    "鹤鸣湖",
    "宏伟",
    "太和",
    "高家",
];

pub(super) const COMMUNITY_STEMS: &[&str] = &[
    "春雷", "阳光", "星光", "东湖", "明湖", "祥和", "和谐", "育新", "新兴", "湖畔", "绿园", "康乐",
    "幸福", "安居", "怡园", "龙祥", "兴业", "景园", "华宇", "昆仑", "百湖", "碧水", "兰德", "嘉园",
    "翠湖", "新城", "东城", "西城", "南苑", "北苑", "金桥", "银河", "彩虹", "丽园", "文苑", "博学",
    "长虹", "泰和", "益民", "悦心", "向阳", "朝晖", "长庆", "红旗", "团结", "五一", "民生", "利民",
    "惠民", "园丁", "奥林", "世纪", "万宝", "远望", "天鹅", "石化", "油田", "会战", "庆虹", "铁人",
];

pub(super) const VILLAGE_STEMS: &[&str] = &[
    "永发",
    "前进",
    "胜利",
    "丰收",
    "红星",
    "新华",
    "太平",
    "民主",
    "和平",
    "长发",
    "永安",
    "福山",
    "双山",
    "靠山",
    "治安",
    "合心",
    "富裕",
    "兴隆",
    "东升",
    "宏伟",
    "四合",
    "三合",
    "新立",
    "新发",
    "建国",
    "光荣",
    "永兴",
    "长胜",
    "友谊",
    "仁和",
    "庆丰",
    "德胜",
    "荣华",
    "吉祥",
    "跃进",
    "五星",
    "先锋",
    "东风",
    "新生",
    "立新",
    "联合",
    "富强",
    "中心",
    "利民",
    "红光",
    "勤俭",
    "奋斗",
    "燎原",
    "红旗",
    "双榆",
    "三家子",
    "王家围子",
    "李家店",
    "后屯",
    "前屯",
    "小岗",
    "大岗",
    "西岗",
];

pub(super) const SURNAMES: &[&str] = &[
    "王", "李", "张", "刘", "陈", "杨", "赵", "黄", "周", "吴", "徐", "孙", "胡", "朱", "高", "林",
    "何", "郭", "马", "罗", "梁", "宋", "郑", "谢", "韩", "唐", "冯", "于", "董", "萧", "程", "曹",
    "袁", "邓", "许", "傅", "沈", "曾", "彭", "吕", "苏", "卢", "蒋", "蔡", "贾", "丁", "魏", "薛",
    "叶", "阎", "姜", "崔", "白", "邢", "谭", "孟",
];

pub(super) const GIVEN: &[&str] = &[
    "伟", "芳", "娜", "秀", "敏", "静", "丽", "强", "磊", "军", "洋", "勇", "艳", "杰", "娟", "涛",
    "明", "超", "兰", "霞", "平", "刚", "桂", "英", "华", "玉", "萍", "红", "鹏", "辉", "建", "国",
    "志", "文", "海", "宇", "欣", "佳", "俊", "婷", "雪", "晨", "浩", "博", "楠", "凯", "琳", "亮",
    "梅", "丹", "宏", "春", "东", "斌", "波", "峰", "庆", "永", "立", "新", "晓", "淑", "凤",
];

/// Mobile prefixes of the three carriers.
pub(super) const PHONE_PREFIXES: &[&str] = &[
    "130", "131", "132", "133", "135", "136", "137", "138", "139", "150", "151", "152", "153",
    "155", "156", "157", "158", "159", "166", "173", "177", "180", "181", "182", "183", "185",
    "186", "187", "188", "189", "191", "198", "199",
];

const NUMERALS: [&str; 9] = ["二", "三", "四", "五", "六", "七", "八", "九", "十"];

/// Hands out place names from a stem list without repeats within one scope
/// (a district): the stems in seeded order, then the stems again with 二,
/// 三, … appended (春雷二社区), then with numbers.
pub(super) struct NamePool {
    stems: Vec<&'static str>,
    next: usize,
}

impl NamePool {
    pub fn new<R: Rng>(stems: &[&'static str], rng: &mut R) -> NamePool {
        let mut stems = stems.to_vec();
        stems.shuffle(rng);
        NamePool { stems, next: 0 }
    }

    pub fn take(&mut self) -> String {
        let n = self.stems.len().max(1);
        let round = self.next / n;
        let stem = self.stems.get(self.next % n).copied().unwrap_or("新");
        self.next += 1;
        match round {
            0 => stem.to_owned(),
            r if r <= NUMERALS.len() => format!("{stem}{}", NUMERALS[r - 1]),
            r => format!("{stem}{}", r + 1),
        }
    }
}

pub(super) fn person_name<R: Rng>(rng: &mut R) -> String {
    let pick = |rng: &mut R, list: &[&'static str]| list[rng.random_range(0..list.len())];
    let mut name = pick(rng, SURNAMES).to_owned();
    name.push_str(pick(rng, GIVEN));
    if rng.random_bool(0.6) {
        name.push_str(pick(rng, GIVEN));
    }
    name
}

/// A mobile number not handed out before.
pub(super) fn phone<R: Rng>(rng: &mut R, used: &mut HashSet<String>) -> String {
    loop {
        let prefix = PHONE_PREFIXES[rng.random_range(0..PHONE_PREFIXES.len())];
        let number = format!("{prefix}{:08}", rng.random_range(0..100_000_000u32));
        if used.insert(number.clone()) {
            return number;
        }
    }
}
