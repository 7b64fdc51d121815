// CSV tables of numbers, with a header row.
//
//   crim,zn,"indus",medv        <- header, required; names may be quoted ("" is a quote inside)
//   0.00632, 18.00, 2.31, 24.0  <- every cell a number (std::from_chars syntax, a leading '+'
//   ...                            allowed, surrounding spaces and tabs ignored, may be quoted)
//
// Lines end in LF or CRLF; a UTF-8 byte-order mark is skipped; blank lines at the end are
// ignored (anywhere else they are an error). A quoted field cannot span lines. Every row must
// have exactly as many cells as the header. Empty cells, "nan", "inf" and numbers outside the
// range of double are errors. Everything malformed throws datasets::FormatError naming the file,
// the 1-based line, the column (number and name) and the offending cell's text; a missing file
// throws datasets::MissingDataError. A header without rows is a table of 0 rows.
//
//   auto t = datasets::read_csv("housing.csv");
//   auto [x, y] = datasets::features_and_target(t, "medv");   // (rows, cols-1), (rows, 1)
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <xtensor/xarray.hpp>

#include "datasets/errors.hpp"

namespace datasets {

struct Table {
  std::string source;                // the file the table was read from (for messages)
  std::vector<std::string> columns;  // header names, unquoted and trimmed, all distinct
  xt::xarray<double> values;         // (rows, columns.size())

  std::size_t rows() const { return values.shape()[0]; }
  // The index of the column named `name`; throws std::out_of_range naming the table's source
  // and listing the known columns.
  std::size_t column(const std::string& name) const;
};

// Parses CSV text; `name` is what error messages call the input. `sep` may be any character
// except '"', ' ', '\r' and '\n' (std::invalid_argument); a tab makes it TSV.
Table parse_csv(std::string_view text, const std::string& name, char sep = ',');

// Reads and parses the file at `path`.
Table read_csv(const std::string& path, char sep = ',');

// The target column as (rows, 1) and every other column, in order, as features (rows, cols-1).
// Throws std::out_of_range (listing the columns) when there is no column `target`.
std::pair<xt::xarray<double>, xt::xarray<double>> features_and_target(const Table& table, const std::string& target);

}  // namespace datasets
