//! Opening logs (plain or gzip, by content) and reading lines with a length limit, as bytes.

use std::fs::File;
use std::io::{self, BufRead, BufReader, Read as _};
use std::path::Path;

/// Lines longer than this are skipped (counted), never held in memory whole.
pub(crate) const MAX_LINE: usize = 1 << 20;

/// Open a log; gzip is recognised by its magic bytes, not its name. MultiGzDecoder reads every
/// member, as logrotate and `cat a.gz b.gz` produce.
pub(crate) fn open_log(path: &Path) -> io::Result<Box<dyn BufRead + Send>> {
    Ok(open_head(path, 0)?.resume(0)?.0)
}

/// A log opened far enough to know its first bytes (to recognise it), not yet positioned.
pub(crate) struct Head {
    /// Up to the requested number of leading bytes, decompressed.
    pub(crate) bytes: Vec<u8>,
    pub(crate) compressed: bool,
    /// Size on disk.
    pub(crate) disk_len: u64,
    /// (device, inode) of the file opened: the same file under every name that leads to it.
    pub(crate) file_id: (u64, u64),
    source: Source,
}

enum Source {
    /// Positioned just after the head; what it read past the head stays buffered.
    Plain(BufReader<File>),
    Gzip(Box<BufReader<RatioLimit<flate2::bufread::MultiGzDecoder<BufReader<File>>>>>),
}

/// Log text compresses 5-20 times; beyond this a `.gz` is a decompression bomb.
pub(crate) const MAX_GZIP_RATIO: u64 = 250;
/// Small files may compress better (one line repeated): never stop before this much.
const MIN_GZIP_ALLOWANCE: u64 = 64 << 20;

/// Stops reading with an error once more than `left` bytes came out.
pub(crate) struct RatioLimit<R> {
    inner: R,
    left: u64,
}

impl<R: io::Read> io::Read for RatioLimit<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.left = self.left.checked_sub(n as u64).ok_or_else(|| {
            io::Error::new(
                io::ErrorKind::InvalidData,
                format!("decompresses to more than {MAX_GZIP_RATIO} times its size (a gzip bomb?); reading stopped"),
            )
        })?;
        Ok(n)
    }
}

/// Open a log and read its first `head_len` (decompressed) bytes.
pub(crate) fn open_head(path: &Path, head_len: usize) -> io::Result<Head> {
    open_head_buffered(path, head_len, 1 << 18)
}

/// `open_head` for a look at the head only (a small first read, not a 256 KiB one).
pub(crate) fn peek_head(path: &Path, head_len: usize) -> io::Result<Head> {
    open_head_buffered(path, head_len, head_len.max(8 << 10))
}

fn open_head_buffered(path: &Path, head_len: usize, capacity: usize) -> io::Result<Head> {
    use std::os::unix::fs::MetadataExt;
    let file = File::open(path)?;
    let meta = file.metadata()?;
    let (disk_len, file_id) = (meta.len(), (meta.dev(), meta.ino()));
    let mut buffered = BufReader::with_capacity(capacity, file);
    let compressed = buffered.fill_buf()?.starts_with(&[0x1f, 0x8b]);
    let mut bytes = Vec::with_capacity(head_len);
    let source = if compressed {
        let decoder = RatioLimit {
            inner: flate2::bufread::MultiGzDecoder::new(buffered),
            left: disk_len
                .saturating_mul(MAX_GZIP_RATIO)
                .max(MIN_GZIP_ALLOWANCE),
        };
        let mut decoder = BufReader::with_capacity(1 << 18, decoder);
        (&mut decoder)
            .take(head_len as u64)
            .read_to_end(&mut bytes)?;
        Source::Gzip(Box::new(decoder))
    } else {
        (&mut buffered)
            .take(head_len as u64)
            .read_to_end(&mut bytes)?;
        Source::Plain(buffered)
    };
    Ok(Head {
        bytes,
        compressed,
        disk_len,
        file_id,
        source,
    })
}

impl Head {
    /// Position at `start` (decompressed bytes from the beginning); returns the reader and
    /// where it really starts (earlier when the file is shorter than `start`).
    pub(crate) fn resume(self, start: u64) -> io::Result<(Box<dyn BufRead + Send>, u64)> {
        let head_len = self.bytes.len() as u64;
        match self.source {
            Source::Plain(mut buffered) => {
                let start = start.min(self.disk_len);
                // Within what the head's read buffered, no new read (a file smaller than the
                // buffer was read whole with its head).
                buffered.seek_relative(start as i64 - head_len as i64)?;
                Ok((Box::new(buffered), start))
            }
            Source::Gzip(decoder) if start <= head_len => {
                let mut head = io::Cursor::new(self.bytes);
                head.set_position(start);
                Ok((
                    Box::new(BufReader::with_capacity(1 << 18, head.chain(decoder))),
                    start,
                ))
            }
            Source::Gzip(mut decoder) => {
                let skipped =
                    io::copy(&mut (&mut decoder).take(start - head_len), &mut io::sink())?;
                Ok((Box::new(decoder), head_len + skipped))
            }
        }
    }
}

#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Read {
    /// A line is in the buffer (without its `\n`).
    Line,
    /// A line longer than the limit was consumed; the buffer holds its first `MAX_LINE` bytes.
    TooLong,
    Eof,
}

/// Read one line into `buf` (cleared first). Returns what was read and how many bytes it consumed.
pub(crate) fn read_line(
    reader: &mut dyn BufRead,
    buf: &mut Vec<u8>,
    max: usize,
) -> io::Result<(Read, usize)> {
    buf.clear();
    let mut consumed = 0usize;
    let mut too_long = false;
    loop {
        let available = match reader.fill_buf() {
            Ok(a) => a,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        if available.is_empty() {
            return Ok(match (consumed, too_long) {
                (0, _) => (Read::Eof, 0),
                (_, true) => (Read::TooLong, consumed),
                _ => (Read::Line, consumed),
            });
        }
        let (chunk, done) = match memchr::memchr(b'\n', available) {
            Some(i) => (&available[..i], i + 1),
            None => (available, available.len()),
        };
        if !too_long {
            if buf.len() + chunk.len() <= max {
                buf.extend_from_slice(chunk);
            } else {
                let room = max - buf.len();
                buf.extend_from_slice(&chunk[..room]);
                too_long = true;
            }
        }
        let found_newline = done > chunk.len();
        reader.consume(done);
        consumed += done;
        if found_newline {
            return Ok((if too_long { Read::TooLong } else { Read::Line }, consumed));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_lines_are_cut_and_reported() {
        let data = format!("short\n{}\nlast", "x".repeat(100));
        let mut r: &[u8] = data.as_bytes();
        let mut buf = Vec::new();
        assert_eq!(read_line(&mut r, &mut buf, 10).unwrap(), (Read::Line, 6));
        assert_eq!(buf, b"short");
        assert_eq!(
            read_line(&mut r, &mut buf, 10).unwrap(),
            (Read::TooLong, 101)
        );
        assert_eq!(buf.len(), 10);
        assert_eq!(read_line(&mut r, &mut buf, 10).unwrap(), (Read::Line, 4));
        assert_eq!(buf, b"last");
        assert_eq!(read_line(&mut r, &mut buf, 10).unwrap(), (Read::Eof, 0));
    }
}
