//! The pure part of photo ingest: sniff the format from the bytes, check that the file ends where
//! its format says it ends, decode within limits, apply the EXIF orientation and derive the two
//! stored sizes, re-encoded as JPEG without any metadata. No I/O; runs on the blocking pool.

use std::io::Cursor;

use fast_image_resize::images::{Image, ImageRef};
use fast_image_resize::{FilterType, PixelType, ResizeAlg, ResizeOptions, Resizer};
use image::metadata::Orientation;
use image::{DynamicImage, ImageDecoder, ImageFormat, ImageReader, RgbImage};

/// Image formats a phone may send. Everything else is refused, whatever its declared type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Jpeg,
    Png,
    Webp,
}

impl Format {
    pub fn as_str(self) -> &'static str {
        match self {
            Format::Jpeg => "jpeg",
            Format::Png => "png",
            Format::Webp => "webp",
        }
    }

    fn image_format(self) -> ImageFormat {
        match self {
            Format::Jpeg => ImageFormat::Jpeg,
            Format::Png => ImageFormat::Png,
            Format::Webp => ImageFormat::WebP,
        }
    }
}

/// Limits on what the decoder accepts. A 12 MP phone photo is 4000×3000; 50 MP phones exist.
#[derive(Debug, Clone)]
pub struct Limits {
    /// Longest side accepted, in pixels.
    pub max_side: u32,
    /// Most pixels accepted (width × height), checked from the header before any decoding.
    pub max_pixels: u64,
    /// Most bytes the decoder may allocate.
    pub max_alloc: u64,
    /// Longest side of the display size.
    pub display_side: u32,
    /// Longest side of the thumbnail.
    pub thumb_side: u32,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_side: 12_000,
            max_pixels: 50_000_000,
            max_alloc: 256 * 1024 * 1024,
            display_side: 1600,
            thumb_side: 320,
        }
    }
}

/// Why a file is not accepted as a photo. The messages are shown to people.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Rejection {
    #[error(
        "El archivo no es una foto JPEG, PNG ni WebP. Tome la foto de nuevo o elija otra imagen."
    )]
    NotAnImage,
    #[error(
        "La imagen está incompleta o dañada (quizá se cortó la transferencia). Vuelva a enviarla."
    )]
    Truncated,
    #[error(
        "La imagen trae datos extra después de su final (posible archivo disfrazado) y fue rechazada."
    )]
    TrailingData,
    #[error(
        "La imagen mide {width}×{height} píxeles, más de lo permitido ({max} píxeles en total o \
         {side} por lado). Envíe una foto de cámara normal."
    )]
    TooLarge {
        width: u32,
        height: u32,
        max: u64,
        side: u32,
    },
    #[error("La imagen no se pudo leer: está dañada o usa una variante no soportada.")]
    Undecodable,
}

/// What ingest produces: the two stored sizes and their dimensions.
#[derive(Debug)]
pub struct Derived {
    pub format: Format,
    /// Dimensions of the uploaded image, as oriented for viewing.
    pub width: u32,
    pub height: u32,
    pub display: Vec<u8>,
    pub thumb: Vec<u8>,
}

/// Recognises the format from the first bytes; the declared content type and any file name are
/// never consulted.
pub fn sniff(bytes: &[u8]) -> Option<Format> {
    if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
        Some(Format::Jpeg)
    } else if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
        Some(Format::Png)
    } else if bytes.len() >= 12 && &bytes[0..4] == b"RIFF" && &bytes[8..12] == b"WEBP" {
        Some(Format::Webp)
    } else {
        None
    }
}

/// Where the image ends according to its own structure. A file that ends earlier is truncated; one
/// with more than padding after that end carries something else (a ZIP, a script) and is refused,
/// since the same bytes would mean something different to another program.
fn check_extent(format: Format, bytes: &[u8]) -> Result<(), Rejection> {
    let end = match format {
        Format::Jpeg => jpeg_end(bytes),
        Format::Png => png_end(bytes),
        Format::Webp => webp_end(bytes),
    }
    .ok_or(Rejection::Truncated)?;
    let rest = &bytes[end..];
    if rest.iter().all(|&b| b == 0 || b == 0xFF) {
        Ok(())
    } else {
        Err(Rejection::TrailingData)
    }
}

/// Offset just past the JPEG's EOI marker, walking the marker segments and the entropy-coded data
/// (so an EOI inside the embedded EXIF thumbnail is not taken for the end).
fn jpeg_end(b: &[u8]) -> Option<usize> {
    let mut i = 2;
    loop {
        // Skip fill bytes before a marker.
        if *b.get(i)? != 0xFF {
            return None;
        }
        while *b.get(i)? == 0xFF {
            i += 1;
        }
        let marker = b[i];
        i += 1;
        match marker {
            0xD9 => return Some(i),
            0x01 | 0xD0..=0xD7 => {}
            _ => {
                let len = usize::from(u16::from_be_bytes([*b.get(i)?, *b.get(i + 1)?]));
                if len < 2 {
                    return None;
                }
                i = i.checked_add(len)?;
                if i > b.len() {
                    return None;
                }
                if marker == 0xDA {
                    // Entropy-coded data: runs until a marker that is neither a stuffed 0xFF00
                    // nor a restart marker.
                    loop {
                        let at = i + b.get(i..)?.iter().position(|&x| x == 0xFF)?;
                        let next = *b.get(at + 1)?;
                        if next == 0x00 || (0xD0..=0xD7).contains(&next) || next == 0xFF {
                            i = at + 1;
                        } else {
                            i = at;
                            break;
                        }
                    }
                }
            }
        }
    }
}

/// Offset just past the PNG's IEND chunk.
fn png_end(b: &[u8]) -> Option<usize> {
    let mut i = 8;
    loop {
        let len = u32::from_be_bytes(b.get(i..i + 4)?.try_into().ok()?) as usize;
        let kind = b.get(i + 4..i + 8)?;
        let next = i.checked_add(12)?.checked_add(len)?;
        if next > b.len() {
            return None;
        }
        if kind == b"IEND" {
            return Some(next);
        }
        i = next;
    }
}

/// Offset just past the RIFF container of a WebP.
fn webp_end(b: &[u8]) -> Option<usize> {
    let size = u32::from_le_bytes(b.get(4..8)?.try_into().ok()?) as usize;
    let end = size.checked_add(8)?;
    (end <= b.len()).then_some(end)
}

/// Verifies, decodes and derives the stored sizes of an uploaded photo.
pub fn ingest(bytes: &[u8], limits: &Limits) -> Result<Derived, Rejection> {
    let format = sniff(bytes).ok_or(Rejection::NotAnImage)?;
    check_extent(format, bytes)?;
    let mut reader = ImageReader::with_format(Cursor::new(bytes), format.image_format());
    let mut decode_limits = image::Limits::default();
    decode_limits.max_image_width = Some(limits.max_side);
    decode_limits.max_image_height = Some(limits.max_side);
    decode_limits.max_alloc = Some(limits.max_alloc);
    reader.limits(decode_limits);
    let too_large = |width, height| Rejection::TooLarge {
        width,
        height,
        max: limits.max_pixels,
        side: limits.max_side,
    };
    let mut decoder = reader.into_decoder().map_err(|err| match err {
        // Some decoders refuse at the header already; read the header alone to say why.
        image::ImageError::Limits(_) => {
            let mut header = ImageReader::with_format(Cursor::new(bytes), format.image_format());
            header.no_limits();
            let (width, height) = header.into_dimensions().unwrap_or((0, 0));
            too_large(width, height)
        }
        _ => Rejection::Undecodable,
    })?;
    let (width, height) = decoder.dimensions();
    if width == 0
        || height == 0
        || width > limits.max_side
        || height > limits.max_side
        || u64::from(width) * u64::from(height) > limits.max_pixels
    {
        return Err(too_large(width, height));
    }
    let orientation = decoder.orientation().unwrap_or(Orientation::NoTransforms);
    let image = DynamicImage::from_decoder(decoder).map_err(|err| match err {
        image::ImageError::Limits(_) => too_large(width, height),
        _ => Rejection::Undecodable,
    })?;
    // Only colour is kept (a phone photo is RGB already; transparency has no meaning here).
    let rgb = image.into_rgb8();
    // Scale first, orient after: rotating the display size is cheaper than rotating the whole
    // photo, and fitting into a square box does not depend on the orientation. The thumbnail
    // is made from the display size, not from the whole photo again.
    let mut display = DynamicImage::ImageRgb8(fit(rgb, limits.display_side)?);
    display.apply_orientation(orientation);
    let display = display.into_rgb8();
    let thumb = fit(display.clone(), limits.thumb_side)?;
    let (width, height) = match orientation {
        Orientation::Rotate90
        | Orientation::Rotate270
        | Orientation::Rotate90FlipH
        | Orientation::Rotate270FlipH => (height, width),
        _ => (width, height),
    };
    Ok(Derived {
        format,
        width,
        height,
        display: encode_jpeg(&display, 82)?,
        thumb: encode_jpeg(&thumb, 78)?,
    })
}

/// Shrinks `image` so that its longest side is at most `side` (never enlarges), with a
/// Lanczos-3 filter (`fast_image_resize`, vectorised): sharp, and several times faster than the
/// `image` crate's resizing of a 12 MP photo.
fn fit(image: RgbImage, side: u32) -> Result<RgbImage, Rejection> {
    let (width, height) = image.dimensions();
    let longest = width.max(height);
    if longest <= side {
        return Ok(image);
    }
    let scaled = |length: u32| {
        let length =
            (u64::from(length) * u64::from(side) + u64::from(longest) / 2) / u64::from(longest);
        (length as u32).max(1)
    };
    let (new_width, new_height) = (scaled(width), scaled(height));
    let source = ImageRef::new(width, height, image.as_raw(), PixelType::U8x3)
        .map_err(|_| Rejection::Undecodable)?;
    let mut target = Image::new(new_width, new_height, PixelType::U8x3);
    Resizer::new()
        .resize(
            &source,
            &mut target,
            &ResizeOptions::new().resize_alg(ResizeAlg::Convolution(FilterType::Lanczos3)),
        )
        .map_err(|_| Rejection::Undecodable)?;
    RgbImage::from_raw(new_width, new_height, target.into_vec()).ok_or(Rejection::Undecodable)
}

/// Encodes as baseline JPEG (4:2:0, `jpeg-encoder`, vectorised). The encoder writes a JFIF
/// header and nothing else: no EXIF, no GPS.
fn encode_jpeg(image: &RgbImage, quality: u8) -> Result<Vec<u8>, Rejection> {
    let (Ok(width), Ok(height)) = (u16::try_from(image.width()), u16::try_from(image.height()))
    else {
        return Err(Rejection::Undecodable);
    };
    let mut out = Vec::with_capacity(image.len() / 8);
    jpeg_encoder::Encoder::new(&mut out, quality)
        .encode(image.as_raw(), width, height, jpeg_encoder::ColorType::Rgb)
        .map_err(|_| Rejection::Undecodable)?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use image::codecs::jpeg::JpegEncoder;

    use super::*;

    fn jpeg(width: u32, height: u32) -> Vec<u8> {
        let image = image::RgbImage::from_fn(width, height, |x, y| {
            image::Rgb([(x % 256) as u8, (y % 256) as u8, 128])
        });
        let mut out = Vec::new();
        JpegEncoder::new_with_quality(&mut out, 90)
            .encode_image(&image)
            .unwrap();
        out
    }

    #[test]
    fn derives_display_and_thumbnail() {
        let derived = ingest(&jpeg(2000, 1000), &Limits::default()).unwrap();
        assert_eq!((derived.width, derived.height), (2000, 1000));
        let display = image::load_from_memory(&derived.display).unwrap();
        assert_eq!((display.width(), display.height()), (1600, 800));
        let thumb = image::load_from_memory(&derived.thumb).unwrap();
        assert_eq!((thumb.width(), thumb.height()), (320, 160));
    }

    #[test]
    fn refuses_truncated_trailing_and_foreign_files() {
        let good = jpeg(64, 48);
        let limits = Limits::default();
        assert_eq!(
            ingest(&good[..good.len() / 2], &limits).unwrap_err(),
            Rejection::Truncated
        );
        let mut polyglot = good.clone();
        polyglot.extend_from_slice(b"PK\x03\x04 a zip file follows");
        assert_eq!(
            ingest(&polyglot, &limits).unwrap_err(),
            Rejection::TrailingData
        );
        let mut padded = good.clone();
        padded.extend_from_slice(&[0; 16]);
        assert!(ingest(&padded, &limits).is_ok());
        assert_eq!(
            ingest(b"PK\x03\x04rest of a zip", &limits).unwrap_err(),
            Rejection::NotAnImage
        );
        assert_eq!(
            ingest(b"GIF89a....", &limits).unwrap_err(),
            Rejection::NotAnImage
        );
    }

    #[test]
    fn refuses_dimensions_beyond_the_limits_before_decoding() {
        let limits = Limits {
            max_pixels: 1000,
            ..Limits::default()
        };
        assert!(matches!(
            ingest(&jpeg(64, 48), &limits).unwrap_err(),
            Rejection::TooLarge {
                width: 64,
                height: 48,
                ..
            }
        ));
    }
}
