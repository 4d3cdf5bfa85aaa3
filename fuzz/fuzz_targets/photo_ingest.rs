//! Photo ingest: any bytes as the body of `PUT /api/blobs/{sha256}`, through
//! `campo_server::media::process::ingest` (format sniffing, the check that the file ends where
//! its format says, the bounded JPEG/PNG/WebP decoders, the EXIF orientation, the Lanczos
//! resizing and the JPEG encoder).
//!
//! The limits are the server's, scaled down so that each run is quick and the small images the
//! fuzzer makes are resized too: the display size is at most 96 pixels a side, the thumbnail 24.
//!
//! Must hold: nothing panics; an accepted photo has its sniffed format and dimensions within the
//! limits, and its two derived sizes are JPEGs without metadata (no APP1/EXIF segment), within
//! their boxes and with the photo's orientation.

#![no_main]

use campo_server::media::process::{Limits, ingest, sniff};
use libfuzzer_sys::fuzz_target;

fn limits() -> Limits {
    Limits {
        max_side: 4096,
        max_pixels: 4_000_000,
        max_alloc: 64 * 1024 * 1024,
        display_side: 96,
        thumb_side: 24,
    }
}

/// The markers of a JPEG up to its image data.
fn markers(jpeg: &[u8]) -> Vec<u8> {
    assert!(jpeg.starts_with(&[0xFF, 0xD8]), "a derived size is a JPEG");
    let mut out = Vec::new();
    let mut i = 2;
    while i + 4 <= jpeg.len() && jpeg[i] == 0xFF {
        let marker = jpeg[i + 1];
        out.push(marker);
        if marker == 0xDA {
            break;
        }
        i += 2 + usize::from(u16::from_be_bytes([jpeg[i + 2], jpeg[i + 3]]));
    }
    out
}

/// Checks a derived size; returns its dimensions.
fn derived_size(jpeg: &[u8], side: u32) -> (u32, u32) {
    let markers = markers(jpeg);
    assert!(markers.contains(&0xDA), "a derived size has image data");
    assert!(
        !markers.iter().any(|m| (0xE1..=0xEF).contains(m)),
        "a derived size carries no metadata: {markers:x?}"
    );
    let image = image::load_from_memory_with_format(jpeg, image::ImageFormat::Jpeg)
        .expect("a derived size decodes");
    let (width, height) = (image.width(), image.height());
    assert!(width >= 1 && height >= 1 && width.max(height) <= side);
    (width, height)
}

fuzz_target!(|bytes: &[u8]| {
    let limits = limits();
    let Ok(derived) = ingest(bytes, &limits) else {
        return;
    };
    assert_eq!(Some(derived.format), sniff(bytes));
    let (width, height) = (derived.width, derived.height);
    assert!(width >= 1 && height >= 1);
    assert!(width.max(height) <= limits.max_side);
    assert!(u64::from(width) * u64::from(height) <= limits.max_pixels);
    let display = derived_size(&derived.display, limits.display_side);
    let thumb = derived_size(&derived.thumb, limits.thumb_side);
    for (w, h) in [display, thumb] {
        // Oriented as the photo: a landscape photo gives landscape (or square) sizes.
        if width > height {
            assert!(w >= h, "{width}×{height} derived as {w}×{h}");
        }
        if width < height {
            assert!(w <= h, "{width}×{height} derived as {w}×{h}");
        }
    }
});
