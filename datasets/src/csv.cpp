#include "datasets/csv.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <stdexcept>
#include <system_error>
#include <unordered_map>

#include "datasets/paths.hpp"

namespace datasets {
namespace {

struct Cell {
  std::string text;  // unquoted and trimmed
  bool quoted = false;
};

class Parser {
 public:
  Parser(std::string_view text, const std::string& name, char sep) : text_(text), name_(name), sep_(sep) {}

  Table run() {
    if (text_.size() >= 3 && text_.substr(0, 3) == "\xEF\xBB\xBF") text_.remove_prefix(3);  // UTF-8 BOM
    std::vector<std::string_view> lines = split_lines();
    // Blank lines at the end are ignored; the table is everything before them.
    std::size_t used = lines.size();
    while (used > 0 && blank(lines[used - 1])) --used;
    if (used == 0) fail(1, "empty file: expected a header row of column names");

    Table table;
    table.source = name_;
    if (blank(lines[0])) fail(1, "blank header row: expected the column names");
    const std::vector<Cell> header = split_cells(lines[0], 1);
    std::unordered_map<std::string, std::size_t> seen;
    for (std::size_t c = 0; c < header.size(); ++c) {
      const std::string& h = header[c].text;
      if (h.empty()) fail_cell(1, c, "empty column name");
      const auto [it, fresh] = seen.emplace(h, c);
      if (!fresh) {
        fail_cell(1, c, "duplicate column name '" + detail::printable(h) + "' (also column " +
                                std::to_string(it->second + 1) + ")");
      }
      table.columns.push_back(h);
    }
    columns_ = &table.columns;

    const std::size_t cols = header.size();
    const std::size_t rows = used - 1;
    std::vector<double> values;
    values.reserve(std::min<std::size_t>(rows * cols, std::size_t{1} << 20));
    for (std::size_t r = 1; r < used; ++r) {
      const std::size_t line = r + 1;
      if (blank(lines[r])) fail(line, "blank line before the end of the data");
      const std::vector<Cell> cells = split_cells(lines[r], line);
      if (cells.size() < cols) {
        fail(line, "only " + std::to_string(cells.size()) + " cells, but the header has " + std::to_string(cols) +
                       " columns (too few; column " + std::to_string(cells.size() + 1) + " ('" +
                       detail::printable(table.columns[cells.size()]) + "') is missing)");
      }
      if (cells.size() > cols) {
        fail(line, std::to_string(cells.size()) + " cells, but the header has " + std::to_string(cols) +
                       " columns (too many; the first extra one, column " + std::to_string(cols + 1) + ", is '" +
                       detail::printable(cells[cols].text) + "')");
      }
      for (std::size_t c = 0; c < cols; ++c) values.push_back(number(cells[c].text, line, c));
    }
    table.values = xt::xarray<double>::from_shape({rows, cols});
    std::copy(values.begin(), values.end(), table.values.data());
    return table;
  }

 private:
  std::string_view text_;
  const std::string& name_;
  char sep_;
  const std::vector<std::string>* columns_ = nullptr;

  [[noreturn]] void fail(std::size_t line, const std::string& what) const {
    throw FormatError("read_csv: '" + name_ + "': line " + std::to_string(line) + ": " + what);
  }
  // "line L, column C ('name'): what"; `what` quotes the offending cell.
  [[noreturn]] void fail_cell(std::size_t line, std::size_t col, const std::string& what) const {
    std::string where = "line " + std::to_string(line) + ", column " + std::to_string(col + 1);
    if (columns_ != nullptr && col < columns_->size()) where += " ('" + detail::printable((*columns_)[col]) + "')";
    throw FormatError("read_csv: '" + name_ + "': " + where + ": " + what);
  }

  bool space(char c) const { return (c == ' ' || c == '\t') && c != sep_; }

  bool blank(std::string_view line) const {
    for (const char c : line) {
      if (c != ' ' && c != '\t') return false;
    }
    return true;
  }

  std::vector<std::string_view> split_lines() const {
    std::vector<std::string_view> lines;
    std::size_t start = 0;
    while (start <= text_.size()) {
      std::size_t end = text_.find('\n', start);
      const bool last = end == std::string_view::npos;
      if (last) end = text_.size();
      std::string_view line = text_.substr(start, end - start);
      if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
      lines.push_back(line);
      if (last) break;
      start = end + 1;
    }
    return lines;
  }

  std::vector<Cell> split_cells(std::string_view line, std::size_t line_no) const {
    std::vector<Cell> cells;
    std::size_t pos = 0;
    for (;;) {
      const std::size_t col = cells.size();
      while (pos < line.size() && space(line[pos])) ++pos;
      Cell cell;
      if (pos < line.size() && line[pos] == '"') {
        cell.quoted = true;
        const std::size_t open = pos++;
        for (;;) {
          if (pos == line.size()) {
            fail_cell(line_no, col, "unterminated quote (opened at character " + std::to_string(open + 1) +
                                            ": '" + detail::printable(line.substr(open)) + "')");
          }
          if (line[pos] == '"') {
            if (pos + 1 < line.size() && line[pos + 1] == '"') {
              cell.text += '"';
              pos += 2;
              continue;
            }
            ++pos;
            break;
          }
          cell.text += line[pos++];
        }
        while (pos < line.size() && space(line[pos])) ++pos;
        if (pos < line.size() && line[pos] != sep_) {
          fail_cell(line_no, col, "text after the closing quote: '" + detail::printable(line.substr(open)) + "'");
        }
        // Spaces inside the quotes are not part of a number either.
        std::size_t b = 0;
        std::size_t e = cell.text.size();
        while (b < e && (cell.text[b] == ' ' || cell.text[b] == '\t')) ++b;
        while (e > b && (cell.text[e - 1] == ' ' || cell.text[e - 1] == '\t')) --e;
        cell.text = cell.text.substr(b, e - b);
      } else {
        const std::size_t begin = pos;
        while (pos < line.size() && line[pos] != sep_) {
          if (line[pos] == '"') {
            fail_cell(line_no, col, "quote inside an unquoted cell: '" +
                                            detail::printable(line.substr(begin, line.find(sep_, begin) - begin)) + "'");
          }
          ++pos;
        }
        std::size_t end = pos;
        while (end > begin && space(line[end - 1])) --end;
        cell.text = std::string(line.substr(begin, end - begin));
      }
      cells.push_back(std::move(cell));
      if (pos == line.size()) break;
      ++pos;  // the separator; a separator at the end of the line starts an empty last cell
    }
    return cells;
  }

  double number(std::string_view cell, std::size_t line, std::size_t col) const {
    std::string shown = "'";
    shown += detail::printable(cell);
    shown += '\'';
    if (cell.empty()) fail_cell(line, col, "empty cell '', expected a number");
    std::string_view t = cell;
    if (t.front() == '+') {
      t.remove_prefix(1);
      if (t.empty() || t.front() == '+' || t.front() == '-') fail_cell(line, col, "cannot parse " + shown + " as a number");
    }
    double v = 0;
    const auto [ptr, ec] = std::from_chars(t.data(), t.data() + t.size(), v);
    if (ec == std::errc::result_out_of_range) {
      fail_cell(line, col, shown + " is outside the range of double");
    }
    if (ec != std::errc() || ptr != t.data() + t.size()) {
      fail_cell(line, col, "cannot parse " + shown + " as a number");
    }
    if (!std::isfinite(v)) fail_cell(line, col, shown + " is not a finite number");
    return v;
  }
};

}  // namespace

std::size_t Table::column(const std::string& name) const {
  for (std::size_t c = 0; c < columns.size(); ++c) {
    if (columns[c] == name) return c;
  }
  std::string known;
  for (const auto& c : columns) {
    known += known.empty() ? "'" : ", '";
    known += detail::printable(c);
    known += '\'';
  }
  throw std::out_of_range("Table" + (source.empty() ? std::string() : " from '" + source + "'") + ": no column named '" +
                          detail::printable(name) + "'; the columns are " + (known.empty() ? "(none)" : known));
}

Table parse_csv(std::string_view text, const std::string& name, char sep) {
  if (sep == '"' || sep == ' ' || sep == '\r' || sep == '\n') {
    throw std::invalid_argument("parse_csv: '" + name + "': the separator cannot be a quote, space, CR or LF");
  }
  return Parser(text, name, sep).run();
}

Table read_csv(const std::string& path, char sep) {
  const std::string text = detail::read_whole_file(path, "read_csv");
  return parse_csv(text, path, sep);
}

std::pair<xt::xarray<double>, xt::xarray<double>> features_and_target(const Table& table, const std::string& target) {
  const std::size_t t = table.column(target);
  const std::size_t rows = table.values.shape()[0];
  const std::size_t cols = table.values.shape()[1];
  xt::xarray<double> x = xt::xarray<double>::from_shape({rows, cols - 1});
  xt::xarray<double> y = xt::xarray<double>::from_shape({rows, std::size_t{1}});
  const double* src = table.values.data();
  double* xp = x.data();
  for (std::size_t r = 0; r < rows; ++r) {
    for (std::size_t c = 0; c < cols; ++c) {
      const double v = src[r * cols + c];
      if (c == t) {
        y.data()[r] = v;
      } else {
        *xp++ = v;
      }
    }
  }
  return {std::move(x), std::move(y)};
}

}  // namespace datasets
