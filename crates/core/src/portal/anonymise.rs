//! Masking personal data out of free text before it is published: phone
//! numbers (mobile and landline), ID card numbers (18 and 15 digits) and
//! names the platform knows belong to the case (its contact's), plus names
//! introduced the usual ways ("我叫…", "姓名：…"). Masking is conservative:
//! a long digit run that might be either is masked.

/// The mask for one hidden value.
const MASK: &str = "***";

fn is_digit(c: char) -> bool {
    c.is_ascii_digit()
}

/// Masks every run of digits (with `-` or spaces inside, as phones are written)
/// of 7 digits or more, and an 18-character ID ending in X.
fn mask_numbers(text: &str) -> String {
    let chars: Vec<char> = text.chars().collect();
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    while i < chars.len() {
        if is_digit(chars[i]) {
            // Extend over digits and single separators between digits.
            let mut j = i;
            let mut digits = 0;
            while j < chars.len() {
                if is_digit(chars[j]) {
                    digits += 1;
                    j += 1;
                } else if matches!(chars[j], '-' | ' ')
                    && j + 1 < chars.len()
                    && is_digit(chars[j + 1])
                {
                    j += 1;
                } else {
                    break;
                }
            }
            // An ID card number may end in X.
            if digits == 17 && j < chars.len() && matches!(chars[j], 'X' | 'x') {
                j += 1;
                digits += 1;
            }
            if digits >= 7 {
                out.push_str(MASK);
            } else {
                out.extend(&chars[i..j]);
            }
            i = j;
        } else {
            out.push(chars[i]);
            i += 1;
        }
    }
    out
}

/// Markers after which a person's name usually follows.
const NAME_MARKERS: &[&str] = &[
    "我叫",
    "本人叫",
    "姓名：",
    "姓名:",
    "联系人：",
    "联系人:",
    "名字是",
];

/// Chinese characters that end a name (punctuation, particles, verbs).
fn ends_name(c: char) -> bool {
    !('\u{4e00}'..='\u{9fff}').contains(&c)
        || "的在是住家，。、；：！？我你他她们和与及在向给说电话反映".contains(c)
}

fn mask_introduced_names(text: &str) -> String {
    let mut out = text.to_owned();
    for marker in NAME_MARKERS {
        let mut from = 0;
        while let Some(pos) = out[from..].find(marker) {
            let start = from + pos + marker.len();
            let name_len: usize = out[start..]
                .chars()
                .take(4)
                .take_while(|c| !ends_name(*c))
                .map(char::len_utf8)
                .sum();
            if name_len >= '张'.len_utf8() * 2 {
                out.replace_range(start..start + name_len, MASK);
            }
            from = start + MASK.len().min(out.len() - start);
        }
    }
    out
}

/// `text` with phone numbers, ID numbers and names masked. `known_names` are
/// names tied to the case (its contact); each occurrence is masked, as is a
/// lone surname followed by 先生/女士 when the full name is known.
pub fn mask_personal(text: &str, known_names: &[&str]) -> String {
    let mut out = mask_numbers(text);
    for name in known_names
        .iter()
        .map(|n| n.trim())
        .filter(|n| n.chars().count() >= 2)
    {
        out = out.replace(name, MASK);
        if let Some(surname) = name.chars().next() {
            for title in ["先生", "女士", "大爷", "大妈", "师傅"] {
                out = out.replace(&format!("{surname}{title}"), &format!("{MASK}{title}"));
            }
        }
    }
    mask_introduced_names(&out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn phones_and_ids_are_masked_however_written() {
        for (input, expected) in [
            ("电话13812345678请回电", "电话***请回电"),
            ("电话 138-1234-5678", "电话 ***"),
            ("座机0459-4612345", "座机***"),
            ("身份证230602199001011234号", "身份证***号"),
            ("身份证23060219900101123X", "身份证***"),
            ("身份证230602900101123", "身份证***"),
            ("3号楼2单元501室，温度16度", "3号楼2单元501室，温度16度"),
            ("2026年11月23日", "2026年11月23日"),
        ] {
            assert_eq!(mask_personal(input, &[]), expected, "{input}");
        }
    }

    #[test]
    fn known_names_and_introduced_names_are_masked() {
        assert_eq!(
            mask_personal("张伟反映家里不热，请张先生联系", &["张伟"]),
            "***反映家里不热，请***先生联系"
        );
        assert_eq!(
            mask_personal("我叫王小明，住3号楼", &[]),
            "我叫***，住3号楼"
        );
        assert_eq!(
            mask_personal("联系人：李娜 电话13900001111", &[]),
            "联系人：*** 电话***"
        );
        // A one-character "name" is not a name.
        assert_eq!(mask_personal("我叫王", &[]), "我叫王");
    }

    #[test]
    fn nothing_to_mask_leaves_the_text_alone() {
        let t = "小区供暖不热，室温只有16度，已经持续一周。";
        assert_eq!(mask_personal(t, &["赵六"]), t);
    }
}
