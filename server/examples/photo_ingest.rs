//! Photo ingest benchmark, the image work alone (not a test): the same generated phone photos as
//! `photo_bench` (12 MP JPEG, EXIF orientation and GPS) through `media::process::ingest`
//! (check the file's extent, decode, orient, make 1600 px and 320 px, encode without metadata),
//! in this process, one at a time. It is the step `vipsthumbnail` does in `photo_bench`; the
//! hash, the HTTP request and the writes to disk are left out.
//!
//! ```text
//! cargo run --release -p campo-server --example photo_ingest -- [N]
//! ```

use campo_server::media::process::{Limits, ingest};
use campo_tests::photo::phone_photo;

/// CPU seconds (user+system) used so far by this process.
fn cpu_seconds() -> f64 {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    let fields: Vec<&str> = stat
        .rsplit_once(')')
        .map(|(_, rest)| rest.split_whitespace().collect())
        .unwrap_or_default();
    // utime and stime: fields 14 and 15 of /proc/self/stat, counted after the command name.
    let ticks = |i: usize| {
        fields
            .get(i)
            .and_then(|f| f.parse::<f64>().ok())
            .unwrap_or(0.0)
    };
    (ticks(11) + ticks(12)) / 100.0
}

fn main() {
    let n: usize = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(8);
    println!("Generando {n} fotos de 12 MP con EXIF y GPS…");
    let photos: Vec<Vec<u8>> = (0..n as u64).map(phone_photo).collect();
    let limits = Limits::default();
    // One photo first, so that the measured ones do not pay for the first allocations.
    ingest(&photos[0], &limits).expect("a valid photo");
    let before = cpu_seconds();
    for photo in &photos {
        let derived = ingest(photo, &limits).expect("a valid photo");
        assert_eq!((derived.width, derived.height), (3000, 4000));
    }
    let per_photo = (cpu_seconds() - before) / n as f64;
    println!(
        "Campo, solo el procesamiento de la imagen (decodificar, orientar, 1600 px y 320 px, \
         codificar): {:.0} ms de CPU por foto",
        per_photo * 1e3
    );
}
