package org.bsq.bench.reproduce;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * A rendered results table: a title, column headers, rows of cell texts and notes printed under it. It writes itself as
 * Markdown, CSV (RFC 4180) and LaTeX ({@code tabular}, booktabs rules); every format holds the same cells.
 *
 * @param title one line above the table
 * @param columns header texts
 * @param rows cell texts, one list per row, each exactly as long as {@code columns}
 * @param notes lines under the table (the budget, the data, what the marks mean)
 */
public record Table(String title, List<String> columns, List<List<String>> rows, List<String> notes) {
  public Table {
    Objects.requireNonNull(title, "title");
    columns = List.copyOf(columns);
    List<List<String>> copy = new ArrayList<>();
    for (int i = 0; i < rows.size(); i++) {
      List<String> r = rows.get(i);
      if (r.size() != columns.size()) {
        throw new IllegalArgumentException("table row " + i + " has " + r.size() + " cells, the table has "
            + columns.size() + " columns " + columns);
      }
      copy.add(List.copyOf(r));
    }
    rows = List.copyOf(copy);
    notes = List.copyOf(notes);
  }

  /** GitHub-flavoured Markdown: the title as a heading, the table, the notes as a list. */
  public String markdown() {
    StringBuilder b = new StringBuilder();
    b.append("## ").append(title).append("\n\n");
    b.append(mdRow(columns));
    b.append('|');
    for (int i = 0; i < columns.size(); i++) {
      b.append(i == 0 ? "---|" : "---:|");
    }
    b.append('\n');
    for (List<String> r : rows) {
      b.append(mdRow(r));
    }
    if (!notes.isEmpty()) {
      b.append('\n');
      for (String n : notes) {
        b.append("- ").append(n).append('\n');
      }
    }
    return b.toString();
  }

  private static String mdRow(List<String> cells) {
    StringBuilder b = new StringBuilder("|");
    for (String c : cells) {
      b.append(' ').append(c.replace("|", "\\|")).append(" |");
    }
    return b.append('\n').toString();
  }

  /** RFC 4180 CSV: the header row, then the rows (cells with commas, quotes or line breaks quoted); no notes. */
  public String csv() {
    StringBuilder b = new StringBuilder();
    b.append(csvRow(columns));
    for (List<String> r : rows) {
      b.append(csvRow(r));
    }
    return b.toString();
  }

  private static String csvRow(List<String> cells) {
    List<String> out = new ArrayList<>();
    for (String c : cells) {
      out.add(c.contains(",") || c.contains("\"") || c.contains("\n") || c.contains("\r")
          ? "\"" + c.replace("\"", "\"\"") + "\"" : c);
    }
    return String.join(",", out) + "\r\n";
  }

  /** A LaTeX {@code table} with a {@code tabular} (needs the booktabs package); notes as a footnote block. */
  public String latex() {
    StringBuilder b = new StringBuilder();
    b.append("% needs \\usepackage{booktabs}\n");
    b.append("\\begin{table}[t]\n\\centering\n\\small\n");
    b.append("\\caption{").append(tex(title)).append("}\n");
    b.append("\\begin{tabular}{l").append("r".repeat(columns.size() - 1)).append("}\n\\toprule\n");
    b.append(texRow(columns)).append("\\midrule\n");
    for (List<String> r : rows) {
      b.append(texRow(r));
    }
    b.append("\\bottomrule\n\\end{tabular}\n");
    if (!notes.isEmpty()) {
      b.append("\\par\\smallskip\\footnotesize\n");
      for (String n : notes) {
        b.append(tex(n)).append("\\\\\n");
      }
    }
    b.append("\\end{table}\n");
    return b.toString();
  }

  private static String texRow(List<String> cells) {
    List<String> out = new ArrayList<>();
    for (String c : cells) {
      out.add(tex(c));
    }
    return String.join(" & ", out) + " \\\\\n";
  }

  /** Escapes LaTeX's special characters (and the dagger and alpha used in cells). */
  static String tex(String s) {
    StringBuilder b = new StringBuilder();
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      switch (c) {
        case '\\' -> b.append("\\textbackslash{}");
        case '&', '%', '$', '#', '_', '{', '}' -> b.append('\\').append(c);
        case '~' -> b.append("\\textasciitilde{}");
        case '^' -> b.append("\\textasciicircum{}");
        case '\u2020' -> b.append("$^\\dagger$");
        case '\u03b1' -> b.append("$\\alpha$");
        case '\u00b1' -> b.append("$\\pm$");
        case '\u2014' -> b.append("---");
        case '\u2013' -> b.append("--");
        case '\u00d7' -> b.append("$\\times$");
        default -> b.append(c);
      }
    }
    return b.toString();
  }
}
