//! Plain text tables as docker prints them: columns left-aligned, three spaces apart, no
//! trailing blanks. Shared by `ps`, `ls`, `images`, `top`, `stats`.

/// Render `rows` (the first one being the header) as aligned columns.
pub fn render<R: AsRef<[String]>>(rows: &[R]) -> String {
    let columns = rows.iter().map(|r| r.as_ref().len()).max().unwrap_or(0);
    let mut widths = vec![0usize; columns];
    for row in rows {
        for (i, cell) in row.as_ref().iter().enumerate() {
            widths[i] = widths[i].max(cell.chars().count());
        }
    }
    let mut out = String::new();
    for row in rows {
        let row = row.as_ref();
        let mut line = String::new();
        for (i, cell) in row.iter().enumerate() {
            line.push_str(cell);
            if i + 1 < row.len() {
                let pad = widths[i] - cell.chars().count() + 3;
                line.push_str(&" ".repeat(pad));
            }
        }
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn columns_are_aligned() {
        let rows = vec![
            vec!["NAME".to_string(), "STATUS".to_string()],
            vec!["a-long-name".to_string(), "running(1)".to_string()],
            vec!["b".to_string(), String::new()],
        ];
        assert_eq!(
            render(&rows),
            "NAME          STATUS\na-long-name   running(1)\nb\n"
        );
    }
}
