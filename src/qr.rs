//! The QR code printed on a packet's cover, pointing to the packet online.
//!
//! A patient who works on paper can scan it to reach the same homework on their phone (to fill
//! it in, add the reminders to a calendar, or download the PDF again) without typing a
//! 60-character link. The code is computed here, in Rust, and reaches Typst as plain data in
//! `/packet.json` — rows of `0`/`1` — which the layout draws with filled rectangles. So nothing
//! about the URL is ever evaluated as markup, and the PDF needs no image or Typst package.

use qrcodegen::{QrCode, QrCodeEcc};

/// Encodes `text` (a packet's URL) as a QR code's modules, top row first, each row a string of
/// `'1'` (dark) and `'0'` (light), without the quiet zone around it (the layout adds that).
///
/// Error correction is at least Medium (about 15 % of the code can be lost to a fold or a stain);
/// `qrcodegen` raises it when that fits in the same size. `None` when the text does not fit in
/// any QR code (thousands of characters: never a real URL).
pub fn modules(text: &str) -> Option<Vec<String>> {
    let code = QrCode::encode_text(text, QrCodeEcc::Medium).ok()?;
    let size = code.size();
    let rows = (0..size).map(|y| (0..size).map(|x| if code.get_module(x, y) { '1' } else { '0' }).collect()).collect();
    Some(rows)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_packet_url_is_a_square_of_modules_with_finder_patterns() {
        let url = "https://example.org/deberes/0123456789abcdef0123456789abcdef/";
        let rows = modules(url).expect("a URL fits");
        // 61 bytes at Medium need version 4: 17 + 4·4 = 33 modules a side.
        assert_eq!(rows.len(), 33);
        assert!(rows.iter().all(|r| r.len() == 33 && r.chars().all(|c| c == '0' || c == '1')));
        // The three finder patterns: a dark 7×7 ring, a light ring, a dark 3×3 centre.
        let finder = ["1111111", "1000001", "1011101", "1011101", "1011101", "1000001", "1111111"];
        for (x, y) in [(0, 0), (26, 0), (0, 26)] {
            for (dy, expected) in finder.iter().enumerate() {
                assert_eq!(&rows[y + dy][x..x + 7], *expected, "finder at ({x}, {y}), row {dy}");
            }
        }
        // Deterministic, and different URLs give different codes.
        assert_eq!(modules(url), Some(rows.clone()));
        assert_ne!(modules("https://example.org/deberes/ffffffffffffffffffffffffffffffff/"), Some(rows));
    }

    #[test]
    fn the_modules_decode_back_to_the_url() {
        let url = "https://example.org/deberes/0123456789abcdef0123456789abcdef/";
        let rows = modules(url).unwrap();
        // Drawn as a scanner sees it: 4 px a module, with the 4-module quiet zone.
        let (scale, quiet) = (4, 4);
        let side = (rows.len() as u32 + 2 * quiet) * scale;
        let image = image::GrayImage::from_fn(side, side, |x, y| {
            let (mx, my) = ((x / scale) as i64 - quiet as i64, (y / scale) as i64 - quiet as i64);
            let dark = usize::try_from(my)
                .ok()
                .zip(usize::try_from(mx).ok())
                .and_then(|(my, mx)| rows.get(my)?.as_bytes().get(mx).copied())
                == Some(b'1');
            image::Luma([if dark { 0 } else { 255 }])
        });
        let mut prepared = rqrr::PreparedImage::prepare(image);
        let grids = prepared.detect_grids();
        assert_eq!(grids.len(), 1);
        assert_eq!(grids[0].decode().expect("decodes").1, url);
    }

    #[test]
    fn text_too_long_for_any_qr_code_gives_none() {
        assert_eq!(modules(&"x".repeat(3000)), None);
    }
}
