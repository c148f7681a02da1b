//! A CSV table read whole, its columns found by name: the `--windows` series of a run and a
//! sweep's `summary.csv`, both small enough to hold (their size is capped when written).
//! Cells are kept as text; numbers are parsed when a column is read, and an empty cell is
//! "no value" (faassim writes absent values as empty cells).

use std::path::{Path, PathBuf};

use crate::error::{Error, Result};
use crate::trace::csv::CsvReader;

/// A CSV file's header and rows.
#[derive(Debug, Clone)]
pub struct Table {
    path: PathBuf,
    /// Column names.
    pub header: Vec<String>,
    /// Rows, each as long as the header.
    pub rows: Vec<Vec<String>>,
}

impl Table {
    /// Reads `path`; every row must have as many fields as the header.
    pub fn load(path: &Path) -> Result<Table> {
        let mut csv = CsvReader::open(path)?;
        if !csv.next_line()? {
            return Err(Error::Data {
                path: path.to_owned(),
                line: 1,
                message: "expected a header line, found an empty file".to_owned(),
            });
        }
        let header: Vec<String> = csv.fields().map(str::to_owned).collect();
        csv.check_quotes(&header)?;
        let mut rows = Vec::new();
        while csv.next_line()? {
            csv.check_quotes(&header)?;
            let row: Vec<String> = csv.fields().map(str::to_owned).collect();
            if row.len() != header.len() {
                return Err(csv.line_error(format!(
                    "expected {} fields as in the header, found {}",
                    header.len(),
                    row.len()
                )));
            }
            rows.push(row);
        }
        Ok(Table {
            path: path.to_owned(),
            header,
            rows,
        })
    }

    /// The position of column `name`, if the file has it.
    pub fn column(&self, name: &str) -> Option<usize> {
        self.header.iter().position(|h| h == name)
    }

    /// Row `row`'s cell in column `col` as a number: `None` when empty, an error naming the
    /// file, row and column when it is not a number.
    pub fn number(&self, row: usize, col: usize) -> Result<Option<f64>> {
        let cell = self.rows[row][col].as_str();
        if cell.is_empty() {
            return Ok(None);
        }
        cell.parse::<f64>().map(Some).map_err(|_| Error::DataField {
            path: self.path.clone(),
            // The header is line 1.
            line: row as u64 + 2,
            column: col + 1,
            name: self.header[col].clone(),
            message: format!("expected a number or an empty cell, found `{cell}`"),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table(text: &str) -> Result<Table> {
        let dir = std::env::temp_dir().join(format!("faassim-table-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join(format!("t{}.csv", text.len()));
        std::fs::write(&path, text).unwrap();
        Table::load(&path)
    }

    #[test]
    fn columns_by_name_and_numbers_with_empty_cells() {
        let t = table("a,\"b,c\",d\n1,2,\n3,x,4\n").unwrap();
        assert_eq!(t.column("b,c"), Some(1));
        assert_eq!(t.column("e"), None);
        assert_eq!(t.number(0, 0).unwrap(), Some(1.0));
        assert_eq!(t.number(0, 2).unwrap(), None);
        let e = t.number(1, 1).unwrap_err().to_string();
        assert!(
            e.contains(":3: column 2") && e.contains("`b,c`") && e.contains("`x`"),
            "{e}"
        );
    }

    #[test]
    fn a_short_row_is_an_error() {
        let e = table("a,b\n1\n").unwrap_err().to_string();
        assert!(e.contains("expected 2 fields"), "{e}");
    }
}
