//! Reproducible zip archives of a directory: the same files give the same
//! bytes, whatever their modification times, owners or the order the file
//! system lists them in, so an unchanged directory never shows a diff.
//!
//! Entries are sorted by their `/`-separated path, every timestamp is
//! 1980-01-01 00:00 (the zip epoch), the mode is 0644 (0755 for a file any
//! execute bit is set on: a `bootstrap` must stay executable), and each file
//! is deflated at a fixed level. Symbolic links are followed; empty
//! directories are left out (Lambda does not need them).

use std::io::Write;
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

/// An archive and what Lambda reports of it.
pub(crate) struct Archive {
    pub(crate) bytes: Vec<u8>,
    /// Base64 of the SHA-256 of the bytes, as Lambda's `CodeSha256`.
    pub(crate) sha256: String,
}

impl Archive {
    pub(crate) fn of(bytes: Vec<u8>) -> Archive {
        let sha256 = aws_smithy_types::base64::encode(Sha256::digest(&bytes));
        Archive { bytes, sha256 }
    }
}

/// A zip file as it is on disk.
pub(crate) fn read_zip(path: &Path) -> Result<Archive, String> {
    let bytes = std::fs::read(path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    if bytes.len() < 22 || !bytes.starts_with(b"PK\x03\x04") && !bytes.starts_with(b"PK\x05\x06") {
        return Err(format!("{} is not a zip file", path.display()));
    }
    Ok(Archive::of(bytes))
}

/// Every file under `dir`, as (path inside the archive, path on disk), sorted.
fn files(dir: &Path) -> Result<Vec<(String, PathBuf)>, String> {
    let mut out = Vec::new();
    let mut todo = vec![(String::new(), dir.to_path_buf())];
    while let Some((prefix, at)) = todo.pop() {
        let entries = std::fs::read_dir(&at).map_err(|e| format!("cannot read the directory {}: {e}", at.display()))?;
        for entry in entries {
            let entry = entry.map_err(|e| format!("cannot read the directory {}: {e}", at.display()))?;
            let name = entry.file_name().into_string().map_err(|n| format!("{}: a file name that is not UTF-8 ({n:?})", at.display()))?;
            let path = entry.path();
            let inner = if prefix.is_empty() { name } else { format!("{prefix}/{name}") };
            let meta = std::fs::metadata(&path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
            if meta.is_dir() {
                todo.push((inner, path));
            } else {
                out.push((inner, path));
            }
        }
    }
    out.sort();
    Ok(out)
}

#[cfg(unix)]
fn executable(meta: &std::fs::Metadata) -> bool {
    use std::os::unix::fs::PermissionsExt;
    meta.permissions().mode() & 0o111 != 0
}

#[cfg(not(unix))]
fn executable(_meta: &std::fs::Metadata) -> bool {
    false
}

/// The archive of every file under `dir`.
pub(crate) fn zip_dir(dir: &Path) -> Result<Archive, String> {
    let meta = std::fs::metadata(dir).map_err(|e| format!("cannot read {}: {e}", dir.display()))?;
    if !meta.is_dir() {
        return Err(format!("{} is not a directory", dir.display()));
    }
    let mut entries = Vec::new();
    for (name, path) in files(dir)? {
        let data = std::fs::read(&path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
        let meta = std::fs::metadata(&path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
        entries.push((name, data, if executable(&meta) { 0o100755u32 } else { 0o100644 }));
    }
    if entries.is_empty() {
        return Err(format!("{} holds no file", dir.display()));
    }
    zip(&entries).map(Archive::of)
}

fn u16_of(n: usize, what: &str) -> Result<u16, String> {
    u16::try_from(n).map_err(|_| format!("{what} too large for a zip archive ({n})"))
}

fn u32_of(n: usize, what: &str) -> Result<u32, String> {
    u32::try_from(n).map_err(|_| format!("{what} too large for a zip archive without zip64 ({n} bytes)"))
}

/// A zip archive of `(name, bytes, unix mode)` entries, in the order given.
pub(crate) fn zip(entries: &[(String, Vec<u8>, u32)]) -> Result<Vec<u8>, String> {
    // 1980-01-01 00:00: the DOS date (year 0 = 1980, month 1, day 1) and time 0.
    const DOS_DATE: u16 = (1 << 5) | 1;
    let mut out: Vec<u8> = Vec::new();
    let mut central: Vec<u8> = Vec::new();
    for (name, data, mode) in entries {
        let mut enc = flate2::write::DeflateEncoder::new(Vec::new(), flate2::Compression::new(6));
        enc.write_all(data).map_err(|e| e.to_string())?;
        let packed = enc.finish().map_err(|e| e.to_string())?;
        let crc = crc32fast::hash(data);
        let (name_len, csize, usize_) = (u16_of(name.len(), "a file name")?, u32_of(packed.len(), name)?, u32_of(data.len(), name)?);
        let offset = u32_of(out.len(), "the archive")?;
        // Local file header: version 2.0, UTF-8 names, deflate.
        out.extend_from_slice(&0x0403_4b50u32.to_le_bytes());
        for v in [20u16, 0x0800, 8, 0, DOS_DATE] {
            out.extend_from_slice(&v.to_le_bytes());
        }
        for v in [crc, csize, usize_] {
            out.extend_from_slice(&v.to_le_bytes());
        }
        out.extend_from_slice(&name_len.to_le_bytes());
        out.extend_from_slice(&0u16.to_le_bytes());
        out.extend_from_slice(name.as_bytes());
        out.extend_from_slice(&packed);
        // Central directory entry: made by Unix (3), version 2.0.
        central.extend_from_slice(&0x0201_4b50u32.to_le_bytes());
        for v in [(3u16 << 8) | 20, 20, 0x0800, 8, 0, DOS_DATE] {
            central.extend_from_slice(&v.to_le_bytes());
        }
        for v in [crc, csize, usize_] {
            central.extend_from_slice(&v.to_le_bytes());
        }
        for v in [name_len, 0, 0, 0, 0] {
            central.extend_from_slice(&v.to_le_bytes());
        }
        central.extend_from_slice(&(mode << 16).to_le_bytes());
        central.extend_from_slice(&offset.to_le_bytes());
        central.extend_from_slice(name.as_bytes());
    }
    let (count, cd_size, cd_offset) = (u16_of(entries.len(), "the file count")?, u32_of(central.len(), "the directory")?, u32_of(out.len(), "the archive")?);
    out.extend_from_slice(&central);
    out.extend_from_slice(&0x0605_4b50u32.to_le_bytes());
    for v in [0u16, 0, count, count] {
        out.extend_from_slice(&v.to_le_bytes());
    }
    out.extend_from_slice(&cd_size.to_le_bytes());
    out.extend_from_slice(&cd_offset.to_le_bytes());
    out.extend_from_slice(&0u16.to_le_bytes());
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tmp(tag: &str) -> PathBuf {
        let d = std::env::temp_dir().join(format!("strata-zip-{tag}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&d);
        std::fs::create_dir_all(d.join("lib")).ok();
        std::fs::write(d.join("index.py"), "def handler(event, context):\n    return 1\n").ok();
        std::fs::write(d.join("lib/util.py"), "X = 1\n").ok();
        d
    }

    #[test]
    fn the_same_files_give_the_same_bytes_whatever_their_times() {
        let d = tmp("same");
        let a = zip_dir(&d).map(|a| a.sha256);
        // A new modification time (the file written again with the same bytes).
        std::thread::sleep(std::time::Duration::from_millis(20));
        std::fs::write(d.join("index.py"), "def handler(event, context):\n    return 1\n").ok();
        assert_eq!(zip_dir(&d).map(|a| a.sha256), a);
        std::fs::write(d.join("lib/util.py"), "X = 2\n").ok();
        assert_ne!(zip_dir(&d).map(|a| a.sha256), a, "a changed file changes the hash");
        let _ = std::fs::remove_dir_all(&d);
    }

    #[test]
    fn entries_are_sorted_and_readable_by_a_zip_reader_shape() {
        let d = tmp("shape");
        let a = zip_dir(&d).map(|a| a.bytes).unwrap_or_default();
        assert!(a.starts_with(b"PK\x03\x04"));
        let text = String::from_utf8_lossy(&a);
        let (i, u) = (text.find("index.py"), text.find("lib/util.py"));
        assert!(i.is_some() && u.is_some() && i < u, "sorted entries");
        assert_eq!(&a[a.len() - 22..a.len() - 18], b"PK\x05\x06");
        let _ = std::fs::remove_dir_all(&d);
    }

    #[test]
    fn a_missing_or_empty_directory_is_an_error() {
        assert!(zip_dir(Path::new("/nonexistent/strata")).is_err());
        let d = std::env::temp_dir().join(format!("strata-zip-empty-{}", std::process::id()));
        std::fs::create_dir_all(&d).ok();
        assert!(zip_dir(&d).err().is_some_and(|e| e.contains("holds no file")));
        let _ = std::fs::remove_dir_all(&d);
    }
}
