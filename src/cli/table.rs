//! Plain aligned text tables for the terminal, measured in display cells.

use crate::text::width;

pub struct Table {
    headers: Vec<&'static str>,
    /// Columns aligned to the right (numbers, money).
    right: Vec<bool>,
    rows: Vec<Vec<String>>,
}

impl Table {
    pub fn new(columns: &[(&'static str, bool)]) -> Table {
        Table {
            headers: columns.iter().map(|c| c.0).collect(),
            right: columns.iter().map(|c| c.1).collect(),
            rows: Vec::new(),
        }
    }

    pub fn push(&mut self, row: Vec<String>) {
        debug_assert_eq!(row.len(), self.headers.len());
        self.rows.push(row);
    }

    pub fn render(&self) -> String {
        let mut widths: Vec<usize> = self.headers.iter().map(|h| width(h)).collect();
        for row in &self.rows {
            for (column, cell) in row.iter().enumerate() {
                widths[column] = widths[column].max(width(cell));
            }
        }
        let headers: Vec<String> = self.headers.iter().map(|h| (*h).to_string()).collect();
        let mut out = String::new();
        for row in std::iter::once(&headers).chain(&self.rows) {
            let last = row.len() - 1;
            let mut line = String::new();
            for (column, cell) in row.iter().enumerate() {
                let pad = " ".repeat(widths[column] - width(cell));
                if self.right[column] {
                    line.push_str(&pad);
                    line.push_str(cell);
                } else {
                    line.push_str(cell);
                    if column != last {
                        line.push_str(&pad);
                    }
                }
                if column != last {
                    line.push_str("  ");
                }
            }
            out.push_str(line.trim_end());
            out.push('\n');
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn aligns_by_display_width() {
        let mut table = Table::new(&[("KEY", false), ("N", true), ("NOTE", false)]);
        table.push(vec!["猫".into(), "1".into(), "wide".into()]);
        table.push(vec!["dog".into(), "120".into(), String::new()]);
        assert_eq!(table.render(), "KEY    N  NOTE\n猫     1  wide\ndog  120\n");
    }
}
