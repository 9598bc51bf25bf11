//! Photo checks: the type is decided from the bytes (never from what the
//! client claims), within size and count limits. Pure.

/// Largest photo accepted, bytes (phone cameras compress to ~1–3 MB).
pub const MAX_PHOTO_BYTES: usize = 5 * 1024 * 1024;
/// Photos one submission may carry.
pub const MAX_PHOTOS_AT_INTAKE: usize = 3;

#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum PhotoError {
    #[error("the photo is empty")]
    Empty,
    #[error("a photo may be at most {max} bytes")]
    TooLarge { max: usize },
    #[error("only JPEG, PNG and WebP photos are accepted")]
    UnsupportedType,
}

/// The content type of an accepted photo, from its leading bytes.
pub fn sniff(bytes: &[u8]) -> Option<&'static str> {
    if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
        Some("image/jpeg")
    } else if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
        Some("image/png")
    } else if bytes.len() >= 12 && &bytes[..4] == b"RIFF" && &bytes[8..12] == b"WEBP" {
        Some("image/webp")
    } else {
        None
    }
}

/// Check one photo: its content type, or why it is refused.
pub fn check_photo(bytes: &[u8]) -> Result<&'static str, PhotoError> {
    if bytes.is_empty() {
        return Err(PhotoError::Empty);
    }
    if bytes.len() > MAX_PHOTO_BYTES {
        return Err(PhotoError::TooLarge {
            max: MAX_PHOTO_BYTES,
        });
    }
    sniff(bytes).ok_or(PhotoError::UnsupportedType)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

    use super::*;

    #[test]
    fn types_come_from_the_bytes() {
        assert_eq!(check_photo(&[0xFF, 0xD8, 0xFF, 0xE0, 0]), Ok("image/jpeg"));
        assert_eq!(check_photo(b"\x89PNG\r\n\x1a\n...."), Ok("image/png"));
        assert_eq!(check_photo(b"RIFF\0\0\0\0WEBPVP8 "), Ok("image/webp"));
        assert_eq!(
            check_photo(b"RIFF\0\0\0\0WAVE"),
            Err(PhotoError::UnsupportedType)
        );
        // An HTML page or SVG calling itself a photo is refused.
        assert_eq!(
            check_photo(b"<svg onload=alert(1)>"),
            Err(PhotoError::UnsupportedType)
        );
        assert_eq!(check_photo(b"GIF89a"), Err(PhotoError::UnsupportedType));
        assert_eq!(check_photo(&[]), Err(PhotoError::Empty));
    }

    #[test]
    fn size_is_limited() {
        let mut big = vec![0u8; MAX_PHOTO_BYTES + 1];
        big[..3].copy_from_slice(&[0xFF, 0xD8, 0xFF]);
        assert_eq!(
            check_photo(&big),
            Err(PhotoError::TooLarge {
                max: MAX_PHOTO_BYTES
            })
        );
        big.pop();
        assert_eq!(check_photo(&big), Ok("image/jpeg"));
    }
}
