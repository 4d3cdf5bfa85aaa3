//! Realistic phone photos for the photo benchmarks: 12 MP JPEGs with EXIF orientation and GPS.

use image::codecs::jpeg::JpegEncoder;
use rand::{Rng, SeedableRng};

/// An EXIF block as a phone writes it: orientation 6 (held upright: rotate 90° clockwise to view)
/// and a GPS position.
pub fn exif_app1() -> Vec<u8> {
    let mut tiff = b"MM\x00\x2a\x00\x00\x00\x08".to_vec();
    // IFD0 at 8: two entries, then the next-IFD offset.
    let gps_ifd = 8 + 2 + 2 * 12 + 4;
    tiff.extend_from_slice(&2u16.to_be_bytes());
    tiff.extend_from_slice(&[0x01, 0x12, 0, 3, 0, 0, 0, 1, 0, 6, 0, 0]); // Orientation = 6
    tiff.extend_from_slice(&[0x88, 0x25, 0, 4, 0, 0, 0, 1]); // GPSInfo pointer
    tiff.extend_from_slice(&(gps_ifd as u32).to_be_bytes());
    tiff.extend_from_slice(&0u32.to_be_bytes());
    // GPS IFD: latitude reference and latitude (4° 36' 35" N, Bogotá).
    let rationals = gps_ifd + 2 + 2 * 12 + 4;
    tiff.extend_from_slice(&2u16.to_be_bytes());
    tiff.extend_from_slice(&[0x00, 0x01, 0, 2, 0, 0, 0, 2, b'N', 0, 0, 0]);
    tiff.extend_from_slice(&[0x00, 0x02, 0, 5, 0, 0, 0, 3]);
    tiff.extend_from_slice(&(rationals as u32).to_be_bytes());
    tiff.extend_from_slice(&0u32.to_be_bytes());
    for (num, den) in [(4u32, 1u32), (36, 1), (35, 1)] {
        tiff.extend_from_slice(&num.to_be_bytes());
        tiff.extend_from_slice(&den.to_be_bytes());
    }
    let mut app1 = vec![0xFF, 0xE1];
    app1.extend_from_slice(&((2 + 6 + tiff.len()) as u16).to_be_bytes());
    app1.extend_from_slice(b"Exif\0\0");
    app1.extend_from_slice(&tiff);
    app1
}

/// A 4000×3000 photo-like picture (gradients, shapes and sensor noise) as a phone JPEG.
pub fn phone_photo(seed: u64) -> Vec<u8> {
    let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
    let (w, h) = (4000u32, 3000u32);
    let (cx, cy) = (rng.gen_range(0..w) as f32, rng.gen_range(0..h) as f32);
    let mut image = image::RgbImage::new(w, h);
    for (x, y, pixel) in image.enumerate_pixels_mut() {
        let d = ((x as f32 - cx).hypot(y as f32 - cy) / 40.0).sin() * 60.0;
        let n: i32 = rng.gen_range(-10..=10);
        let base = [
            (x * 200 / w) as f32 + d,
            (y * 200 / h) as f32 - d,
            120.0 + d / 2.0,
        ];
        *pixel = image::Rgb(base.map(|v| (v as i32 + n).clamp(0, 255) as u8));
    }
    let mut jpeg = Vec::new();
    JpegEncoder::new_with_quality(&mut jpeg, 92)
        .encode_image(&image)
        .unwrap();
    let mut out = jpeg[..2].to_vec();
    out.extend_from_slice(&exif_app1());
    out.extend_from_slice(&jpeg[2..]);
    out
}
