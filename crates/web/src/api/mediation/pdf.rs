//! The agreement as a PDF, written directly: A4 pages of text in the
//! standard Chinese font `STSong-Light` (Adobe-GB1, `UniGB-UCS2-H`). Like
//! iText's Asian fonts it is referenced, not embedded: every PDF reader
//! used in China substitutes an installed Song typeface, so the binary
//! carries no font file and the document stays a few kilobytes. Layout is
//! deliberately simple (wrapped lines; full-width CJK, half-width Latin).

use super::document::Block;

const PAGE_W: f32 = 595.0;
const PAGE_H: f32 = 842.0;
const MARGIN: f32 = 56.0;

/// One line of text placed on a page.
#[derive(Clone, Debug, PartialEq)]
struct Placed {
    x: f32,
    y: f32,
    size: f32,
    text: String,
}

/// Width of `c` in ems: CJK and other wide characters 1, Latin 0.5.
fn em(c: char) -> f32 {
    if (c as u32) < 0x2E80 { 0.5 } else { 1.0 }
}

/// Break `text` into lines no wider than `width` points at `size`.
fn wrap(text: &str, size: f32, width: f32) -> Vec<String> {
    let mut lines = Vec::new();
    for paragraph in text.split('\n') {
        let mut line = String::new();
        let mut w = 0.0;
        for c in paragraph.chars() {
            let cw = em(c) * size;
            if w + cw > width && !line.is_empty() {
                lines.push(std::mem::take(&mut line));
                w = 0.0;
            }
            line.push(c);
            w += cw;
        }
        lines.push(line);
    }
    lines
}

/// Lay the blocks out on pages.
fn layout(blocks: &[Block]) -> Vec<Vec<Placed>> {
    let mut pages = vec![Vec::new()];
    let mut y = PAGE_H - MARGIN;
    let width = PAGE_W - 2.0 * MARGIN;
    let mut put = |pages: &mut Vec<Vec<Placed>>, text: String, size: f32, x: f32, gap: f32| {
        if y - size * 1.5 < MARGIN {
            pages.push(Vec::new());
            y = PAGE_H - MARGIN;
        }
        y -= size * 1.5;
        if let Some(page) = pages.last_mut() {
            page.push(Placed { x, y, size, text });
        }
        y -= gap;
    };
    for b in blocks {
        match b {
            Block::Title(t) => {
                let w: f32 = t.chars().map(|c| em(c) * 20.0).sum();
                put(
                    &mut pages,
                    t.clone(),
                    20.0,
                    ((PAGE_W - w) / 2.0).max(MARGIN),
                    12.0,
                );
            }
            Block::Heading(t) => {
                for l in wrap(t, 13.0, width) {
                    put(&mut pages, l, 13.0, MARGIN, 2.0);
                }
            }
            Block::Line(t) | Block::Para(t) => {
                for l in wrap(t, 11.0, width) {
                    put(&mut pages, l, 11.0, MARGIN, 0.0);
                }
            }
            Block::Table(head, rows) => {
                for r in rows {
                    let text = r
                        .iter()
                        .zip(head)
                        .skip(1)
                        .map(|(cell, h)| format!("{h}：{cell}"))
                        .collect::<Vec<_>>()
                        .join("；");
                    let first = r.first().cloned().unwrap_or_default();
                    for (i, l) in wrap(&text, 11.0, width - 22.0).into_iter().enumerate() {
                        let prefix = if i == 0 {
                            format!("{first}. ")
                        } else {
                            String::new()
                        };
                        put(&mut pages, format!("{prefix}{l}"), 11.0, MARGIN, 0.0);
                    }
                }
            }
            Block::Signatures(names) => {
                for n in names {
                    put(
                        &mut pages,
                        format!("{n}：______________________"),
                        11.0,
                        MARGIN,
                        10.0,
                    );
                }
            }
        }
    }
    pages
}

/// UTF-16BE hex of `text` for a `UniGB-UCS2-H` string; characters outside
/// the Basic Multilingual Plane (which UCS-2 cannot carry) become `?`.
fn hex_ucs2(text: &str) -> String {
    let mut out = String::with_capacity(text.len() * 4);
    for c in text.chars() {
        let code = u32::from(c);
        let unit = if code <= 0xFFFF { code } else { u32::from('?') };
        out.push_str(&format!("{unit:04X}"));
    }
    out
}

/// The document's bytes.
pub fn render(blocks: &[Block]) -> Vec<u8> {
    let pages = layout(blocks);
    // Objects 1–5: catalog, page tree, font, CID font, descriptor; then a
    // page object and its content stream per page.
    let mut objects: Vec<String> = Vec::new();
    let page_ids: Vec<usize> = (0..pages.len()).map(|i| 6 + 2 * i).collect();
    objects.push("<< /Type /Catalog /Pages 2 0 R >>".into());
    objects.push(format!(
        "<< /Type /Pages /Kids [{}] /Count {} >>",
        page_ids
            .iter()
            .map(|i| format!("{i} 0 R"))
            .collect::<Vec<_>>()
            .join(" "),
        pages.len()
    ));
    objects.push(
        "<< /Type /Font /Subtype /Type0 /BaseFont /STSong-Light /Encoding /UniGB-UCS2-H \
         /DescendantFonts [4 0 R] >>"
            .into(),
    );
    objects.push(
        "<< /Type /Font /Subtype /CIDFontType0 /BaseFont /STSong-Light \
         /CIDSystemInfo << /Registry (Adobe) /Ordering (GB1) /Supplement 2 >> \
         /FontDescriptor 5 0 R /DW 1000 /W [1 95 500] >>"
            .into(),
    );
    objects.push(
        "<< /Type /FontDescriptor /FontName /STSong-Light /Flags 6 \
         /FontBBox [-25 -254 1000 880] /ItalicAngle 0 /Ascent 880 /Descent -120 \
         /CapHeight 880 /StemV 93 >>"
            .into(),
    );
    for (i, page) in pages.iter().enumerate() {
        let content: String = page
            .iter()
            .map(|p| {
                format!(
                    "BT /F1 {} Tf {:.1} {:.1} Td <{}> Tj ET\n",
                    p.size,
                    p.x,
                    p.y,
                    hex_ucs2(&p.text)
                )
            })
            .collect();
        objects.push(format!(
            "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 {PAGE_W} {PAGE_H}] \
             /Resources << /Font << /F1 3 0 R >> >> /Contents {} 0 R >>",
            page_ids[i] + 1
        ));
        objects.push(format!(
            "<< /Length {} >>\nstream\n{content}endstream",
            content.len()
        ));
    }
    let mut out = String::from("%PDF-1.4\n");
    let mut offsets = Vec::with_capacity(objects.len());
    for (i, body) in objects.iter().enumerate() {
        offsets.push(out.len());
        out.push_str(&format!("{} 0 obj\n{body}\nendobj\n", i + 1));
    }
    let xref = out.len();
    out.push_str(&format!(
        "xref\n0 {}\n0000000000 65535 f \n",
        objects.len() + 1
    ));
    for o in offsets {
        out.push_str(&format!("{o:010} 00000 n \n"));
    }
    out.push_str(&format!(
        "trailer\n<< /Size {} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n",
        objects.len() + 1
    ));
    // Everything above is ASCII: text is hex-encoded.
    out.into_bytes()
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;

    fn sample(paragraphs: usize) -> Vec<Block> {
        let mut b = vec![
            Block::Title("人民调解协议书".into()),
            Block::Line("申请人：张三（自然人）".into()),
        ];
        for i in 0..paragraphs {
            b.push(Block::Para(format!(
                "第{i}段：楼上卫生间防水层老化漏水，致楼下天花板受损。Repair by 2026-12-01."
            )));
        }
        b.push(Block::Table(
            vec!["#".into(), "义务".into(), "期限".into()],
            vec![vec![
                "1".into(),
                "李四：赔偿 2000 元".into(),
                "2026-12-01".into(),
            ]],
        ));
        b.push(Block::Signatures(vec!["张三".into(), "李四".into()]));
        b
    }

    /// Every xref entry points at the start of its object, and startxref at the table.
    fn check_structure(pdf: &str) {
        assert!(pdf.starts_with("%PDF-1.4\n") && pdf.ends_with("%%EOF\n"));
        let startxref: usize = pdf
            .rsplit("startxref\n")
            .next()
            .unwrap()
            .lines()
            .next()
            .unwrap()
            .parse()
            .unwrap();
        assert!(pdf[startxref..].starts_with("xref\n"));
        let table = &pdf[startxref..];
        let count: usize = table
            .lines()
            .nth(1)
            .unwrap()
            .split(' ')
            .nth(1)
            .unwrap()
            .parse()
            .unwrap();
        for (n, line) in table.lines().skip(3).take(count - 1).enumerate() {
            assert_eq!(line.len(), 19, "xref lines are 20 bytes with the newline");
            let offset: usize = line[..10].parse().unwrap();
            assert!(
                pdf[offset..].starts_with(&format!("{} 0 obj\n", n + 1)),
                "object {}",
                n + 1
            );
        }
        // Stream lengths are exact.
        for part in pdf.split("<< /Length ").skip(1) {
            let len: usize = part.split(' ').next().unwrap().parse().unwrap();
            let body = part.split_once(">>\nstream\n").unwrap().1;
            assert!(body[len..].starts_with("endstream"));
        }
    }

    #[test]
    fn a_document_is_well_formed_and_carries_the_text() {
        let pdf = String::from_utf8(render(&sample(3))).unwrap();
        check_structure(&pdf);
        assert!(pdf.contains(&hex_ucs2("人民调解协议书")));
        assert!(pdf.contains(&hex_ucs2("张三")));
        assert!(pdf.contains("/Count 1"));
    }

    #[test]
    fn long_documents_flow_onto_more_pages() {
        let pdf = String::from_utf8(render(&sample(120))).unwrap();
        check_structure(&pdf);
        let pages: usize = pdf
            .split("/Count ")
            .nth(1)
            .unwrap()
            .split(' ')
            .next()
            .unwrap()
            .parse()
            .unwrap();
        assert!(pages >= 3, "{pages} pages");
        // Nothing is placed outside the page's margins.
        for page in layout(&sample(120)) {
            for p in page {
                assert!(p.y >= MARGIN - 1.0 && p.y <= PAGE_H - MARGIN, "{p:?}");
            }
        }
    }

    #[test]
    fn lines_wrap_within_the_width() {
        let width = PAGE_W - 2.0 * MARGIN;
        for line in wrap(&"纠纷".repeat(200), 11.0, width) {
            let w: f32 = line.chars().map(|c| em(c) * 11.0).sum();
            assert!(w <= width + 0.01);
        }
        assert_eq!(wrap("", 11.0, width), vec![String::new()]);
        assert_eq!(hex_ucs2("A张😀"), "0041".to_owned() + "5F20" + "003F");
    }
}
