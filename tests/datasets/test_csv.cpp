#define BOOST_TEST_MODULE test_csv
#include <boost/test/unit_test.hpp>

#include "common/non_regular.hpp"
#include "common/temp_dir.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <random>
#include <string>
#include <vector>

#include "datasets/boston.hpp"
#include "datasets/csv.hpp"
#include "datasets/errors.hpp"
#include "datasets/paths.hpp"

namespace fs = std::filesystem;

namespace {

std::string write_text(const test::TempDir& dir, const std::string& name, const std::string& text) {
  const std::string path = dir / name;
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << text;
  BOOST_REQUIRE(out.good());
  return path;
}

bool contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

// Parsing `text` throws a FormatError naming "<name>", and every string in `parts`.
void expect_error(const std::string& text, const std::vector<std::string>& parts, char sep = ',') {
  try {
    datasets::parse_csv(text, "input.csv", sep);
    BOOST_ERROR("no FormatError for: " << text);
  } catch (const datasets::FormatError& e) {
    const std::string msg = e.what();
    BOOST_TEST_INFO("message: " << msg);
    BOOST_CHECK(contains(msg, "'input.csv'"));
    for (const auto& p : parts) BOOST_CHECK_MESSAGE(contains(msg, p), "'" << p << "' missing from: " << msg);
  }
}

void check_values(const datasets::Table& t, std::size_t rows, const std::vector<double>& values) {
  BOOST_TEST((t.values.shape() == std::vector<std::size_t>{rows, t.columns.size()}));
  BOOST_REQUIRE_EQUAL(t.values.size(), values.size());
  for (std::size_t i = 0; i < values.size(); ++i) BOOST_TEST(t.values.data()[i] == values[i]);
}

const std::string kBostonHeader = "crim,zn,indus,chas,nox,rm,age,dis,rad,tax,ptratio,b,lstat,medv";

}  // namespace

BOOST_AUTO_TEST_CASE(valid_table) {
  const auto t = datasets::parse_csv("a,b,c\n1,2,3\n4.5,-6,7e2\n-0.25,+8,.5\n", "t.csv");
  BOOST_TEST(t.columns == (std::vector<std::string>{"a", "b", "c"}), boost::test_tools::per_element());
  BOOST_TEST(t.rows() == 3u);
  check_values(t, 3, {1, 2, 3, 4.5, -6, 700, -0.25, 8, 0.5});
  BOOST_TEST(t.values(1, 2) == 700.0);
  BOOST_TEST(t.source == "t.csv");

  // Surrounding whitespace, no final newline, exact decimal parsing.
  const auto w = datasets::parse_csv(" x ,\ty\t\n 0.1 , 1e-3\n\t2 ,3", "w");
  BOOST_TEST(w.columns == (std::vector<std::string>{"x", "y"}), boost::test_tools::per_element());
  check_values(w, 2, {0.1, 0.001, 2, 3});
}

BOOST_AUTO_TEST_CASE(quoted_header_crlf_blank_tail) {
  const auto q = datasets::parse_csv("\"crim\", \"zn\" ,\"a,b\",\"say \"\"hi\"\"\"\n1,2,3,4\n", "q");
  BOOST_TEST(q.columns == (std::vector<std::string>{"crim", "zn", "a,b", "say \"hi\""}), boost::test_tools::per_element());
  check_values(q, 1, {1, 2, 3, 4});
  // Quoted numbers too.
  check_values(datasets::parse_csv("a,b\n\"1.5\", \" 2 \"\n", "qn"), 1, {1.5, 2});

  const auto crlf = datasets::parse_csv("a,b\r\n1,2\r\n3,4\r\n", "crlf");
  BOOST_TEST(crlf.columns == (std::vector<std::string>{"a", "b"}), boost::test_tools::per_element());
  check_values(crlf, 2, {1, 2, 3, 4});

  check_values(datasets::parse_csv("a,b\n1,2\n\n\n   \n\r\n", "tail"), 1, {1, 2});
  check_values(datasets::parse_csv("\xEF\xBB\xBF" "a,b\n1,2\n", "bom"), 1, {1, 2});
  BOOST_TEST(datasets::parse_csv("\xEF\xBB\xBF" "a,b\n1,2\n", "bom").columns[0] == "a");

  // Header only: zero rows, not an error.
  for (const std::string text : {"a,b", "a,b\n", "a,b\r\n\r\n"}) {
    const auto h = datasets::parse_csv(text, "h");
    BOOST_TEST(h.columns.size() == 2u);
    BOOST_TEST((h.values.shape() == std::vector<std::size_t>{0, 2}));
  }
}

BOOST_AUTO_TEST_CASE(other_separators) {
  check_values(datasets::parse_csv("a;b\n1.5;2\n", "semi", ';'), 1, {1.5, 2});
  BOOST_CHECK_THROW(datasets::parse_csv("a;b\n1,5;2\n", "semi", ';'), datasets::FormatError);  // "1,5"
  check_values(datasets::parse_csv("a\tb\n1\t2\n", "tsv", '\t'), 1, {1, 2});
  // With a tab separator, spaces are still trimmed but tabs separate.
  check_values(datasets::parse_csv("a\tb\n 1 \t 2 \n", "tsv", '\t'), 1, {1, 2});
  BOOST_CHECK_THROW(datasets::parse_csv("a\n1\n", "x", '"'), std::invalid_argument);
  BOOST_CHECK_THROW(datasets::parse_csv("a\n1\n", "x", '\n'), std::invalid_argument);
}

BOOST_AUTO_TEST_CASE(non_numeric_cells) {
  expect_error("a,b\n1,2\n3,x7\n", {"line 3, column 2 ('b')", "'x7'", "cannot parse"});
  expect_error("a,b\r\n1,2\r\n3,x7\r\n", {"line 3, column 2 ('b')", "'x7'"});
  expect_error("a,b\n1,nan\n", {"line 2, column 2 ('b')", "'nan'", "not a finite number"});
  expect_error("a,b\n1,NaN\n", {"line 2, column 2", "'NaN'"});
  expect_error("a,b\ninf,1\n", {"line 2, column 1 ('a')", "'inf'"});
  expect_error("a,b\n-Infinity,1\n", {"line 2, column 1", "'-Infinity'"});
  expect_error("a,b\n1e999,1\n", {"line 2, column 1", "'1e999'", "range"});
  expect_error("a,b\n1.5.5,1\n", {"line 2, column 1", "'1.5.5'"});
  expect_error("a,b\n0x10,1\n", {"line 2, column 1", "'0x10'"});
  expect_error("a,b\n1,2 3\n", {"line 2, column 2", "'2 3'"});
  expect_error("a,b\n+-1,2\n", {"line 2, column 1", "'+-1'"});
  expect_error("a,b\n++1,2\n", {"line 2, column 1", "'++1'"});
  expect_error("a,b\n+,2\n", {"line 2, column 1", "'+'"});
  expect_error("a,b\n1,\n", {"line 2, column 2 ('b')", "empty cell"});
  expect_error("a,b\n,1\n", {"line 2, column 1 ('a')", "empty cell"});
  expect_error("a,b\n1,\"\"\n", {"line 2, column 2", "empty cell"});
  expect_error("a,b\n1,\"abc\"\n", {"line 2, column 2", "'abc'"});
  expect_error(std::string("a,b\n1,2\0", 8) + "\n", {"line 2, column 2", "'2\\x00'"});
  // Quote problems.
  expect_error("a,b\n1,\"2\n", {"line 2, column 2", "unterminated quote"});
  expect_error("\"a,b\n1,2\n", {"line 1, column 1", "unterminated quote"});
  expect_error("a,b\n1,\"2\"x\n", {"line 2, column 2", "text after the closing quote"});
  expect_error("a,b\n1,2\"\n", {"line 2, column 2", "quote inside an unquoted cell"});
  // Long cells are shortened in the message.
  expect_error("a\n" + std::string(1000, 'z') + "\n", {"line 2, column 1", "zzz...", "cannot parse"});
}

BOOST_AUTO_TEST_CASE(ragged_rows_and_empty_files) {
  expect_error("a,b,c\n1,2,3\n4,5\n", {"line 3", "only 2 cells", "3 columns", "too few", "column 3 ('c')"});
  expect_error("a,b\n1,2,3\n", {"line 2", "3 cells", "2 columns", "too many", "column 3", "'3'"});
  expect_error("a,b\n1,2,\n", {"line 2", "too many"});  // a trailing separator makes an empty third cell
  expect_error("a,b\n1,2\n\n3,4\n", {"line 3", "blank line"});
  expect_error("a,b\n1,2\n   \n3,4\n", {"line 3", "blank line"});
  expect_error("", {"line 1", "empty file"});
  expect_error("\n\n  \r\n", {"line 1", "empty file"});
  expect_error("\xEF\xBB\xBF", {"line 1", "empty file"});
  expect_error("\n1,2\n", {"line 1", "blank header"});
  expect_error("a,,b\n1,2,3\n", {"line 1, column 2", "empty column name"});
  expect_error("a,b,a\n1,2,3\n", {"line 1, column 3", "duplicate column name 'a'", "column 1"});
  expect_error("a, \"b\" x\n1,2\n", {"line 1, column 2", "text after the closing quote"});
}

BOOST_AUTO_TEST_CASE(columns_and_target) {
  const auto t = datasets::parse_csv("x1,y,x2\n1,10,2\n3,30,4\n5,50,6\n", "t.csv");
  BOOST_TEST(t.column("x1") == 0u);
  BOOST_TEST(t.column("y") == 1u);
  BOOST_TEST(t.column("x2") == 2u);
  BOOST_CHECK_EXCEPTION(t.column("z"), std::out_of_range, [](const std::out_of_range& e) {
    const std::string m = e.what();
    return contains(m, "'z'") && contains(m, "'x1', 'y', 'x2'") && contains(m, "t.csv");
  });
  const auto [x, y] = datasets::features_and_target(t, "y");
  BOOST_TEST((x.shape() == std::vector<std::size_t>{3, 2}));
  BOOST_TEST((y.shape() == std::vector<std::size_t>{3, 1}));
  BOOST_TEST(x(0, 0) == 1.0);
  BOOST_TEST(x(0, 1) == 2.0);
  BOOST_TEST(x(2, 1) == 6.0);
  BOOST_TEST(y(1, 0) == 30.0);
  BOOST_CHECK_THROW(datasets::features_and_target(t, "nope"), std::out_of_range);

  const auto [x0, y0] = datasets::features_and_target(datasets::parse_csv("a,b\n", "h"), "a");
  BOOST_TEST((x0.shape() == std::vector<std::size_t>{0, 1}));
  BOOST_TEST((y0.shape() == std::vector<std::size_t>{0, 1}));
}

BOOST_AUTO_TEST_CASE(files) {
  test::TempDir dir("csv");
  const auto path = write_text(dir, "ok.csv", "a,b\n1,2\n");
  const auto t = datasets::read_csv(path);
  check_values(t, 1, {1, 2});
  BOOST_TEST(t.source == path);
  const auto semi = write_text(dir, "semi.csv", "a;b\n1;2\n");
  check_values(datasets::read_csv(semi, ';'), 1, {1, 2});

  const auto bad = write_text(dir, "bad.csv", "a,b\n1,2\n3,four\n");
  BOOST_CHECK_EXCEPTION(datasets::read_csv(bad), datasets::FormatError, [&](const datasets::FormatError& e) {
    const std::string m = e.what();
    return contains(m, "'" + bad + "'") && contains(m, "line 3, column 2 ('b')") && contains(m, "'four'");
  });
  BOOST_CHECK_EXCEPTION(datasets::read_csv(dir / "missing.csv"), datasets::MissingDataError,
                        [&](const datasets::MissingDataError& e) {
                          const std::string m = e.what();
                          return contains(m, dir / "missing.csv") && contains(m, "--target fetch-data");
                        });
}

BOOST_AUTO_TEST_CASE(boston_loader) {
  test::TempDir dir("csv");
  // The real file's header with three of its rows (the 1st, 2nd and 506th).
  const auto path = write_text(dir, "data.csv",
                               kBostonHeader + "\n" +
                                   "0.00632,18.00,2.310,0,0.5380,6.5750,65.20,4.0900,1,296.0,15.30,396.90,4.98,24.00\n"
                                   "0.02731,0.00,7.070,0,0.4690,6.4210,78.90,4.9671,2,242.0,17.80,396.90,9.14,21.60\n"
                                   "0.04741,0.00,11.930,0,0.5730,6.0300,80.80,2.5050,1,273.0,21.00,396.90,7.88,11.90\n");
  const auto b = datasets::load_boston(path);
  BOOST_TEST((b.features.shape() == std::vector<std::size_t>{3, 13}));
  BOOST_TEST((b.target.shape() == std::vector<std::size_t>{3, 1}));
  BOOST_TEST(b.target_name == "medv");
  BOOST_TEST(b.feature_names == (std::vector<std::string>{"crim", "zn", "indus", "chas", "nox", "rm", "age", "dis",
                                                           "rad", "tax", "ptratio", "b", "lstat"}),
             boost::test_tools::per_element());
  BOOST_TEST(b.target(0, 0) == 24.0);
  BOOST_TEST(b.target(2, 0) == 11.9);
  BOOST_TEST(b.features(0, 0) == 0.00632);
  BOOST_TEST(b.features(1, 12) == 9.14);
  BOOST_TEST(b.features(2, 9) == 273.0);
  BOOST_TEST(datasets::boston_columns().size() == 14u);

  // Columns in another order: found by name.
  const auto moved = write_text(dir, "moved.csv",
                                "medv,crim,zn,indus,chas,nox,rm,age,dis,rad,tax,ptratio,b,lstat\n"
                                "24,0.00632,18.00,2.310,0,0.5380,6.5750,65.20,4.0900,1,296.0,15.30,396.90,4.98\n");
  const auto m = datasets::load_boston(moved);
  BOOST_TEST(m.target(0, 0) == 24.0);
  BOOST_TEST(m.features(0, 0) == 0.00632);
  BOOST_TEST(m.feature_names.front() == "crim");

  const auto wrong = write_text(dir, "wrong.csv", "crim,zn,medv\n1,2,3\n");
  BOOST_CHECK_EXCEPTION(datasets::load_boston(wrong), datasets::FormatError, [&](const datasets::FormatError& e) {
    const std::string msg = e.what();
    return contains(msg, wrong) && contains(msg, "line 1") && contains(msg, "crim,zn,medv");
  });
  const auto empty = write_text(dir, "empty.csv", kBostonHeader + "\n");
  BOOST_CHECK_EXCEPTION(datasets::load_boston(empty), datasets::FormatError,
                        [&](const datasets::FormatError& e) { return contains(e.what(), empty) && contains(e.what(), "no data rows"); });
  const auto ragged = write_text(dir, "ragged.csv", kBostonHeader + "\n1,2,3\n");
  BOOST_CHECK_EXCEPTION(datasets::load_boston(ragged), datasets::FormatError,
                        [&](const datasets::FormatError& e) { return contains(e.what(), "line 2") && contains(e.what(), "too few"); });
  BOOST_CHECK_EXCEPTION(datasets::load_boston(dir / "boston/data.csv"), datasets::MissingDataError,
                        [&](const datasets::MissingDataError& e) {
                          return contains(e.what(), dir / "boston/data.csv") && contains(e.what(), datasets::fetch_command());
                        });
}

// A character device or a FIFO is refused by name, not read until bad_alloc or blocked on.
BOOST_AUTO_TEST_CASE(non_regular_files_are_refused) {
  test::TempDir dir("csv");
  const std::string fifo = dir / "data.csv";
  BOOST_REQUIRE_EQUAL(::mkfifo(fifo.c_str(), 0600), 0);
  const auto read = [](const std::string& p) { datasets::read_csv(p); };
  BOOST_CHECK_EQUAL(test::refusal_of(read, "/dev/zero", "character device"), "");
  BOOST_CHECK_EQUAL(test::refusal_of(read, fifo, "FIFO"), "");
  BOOST_CHECK_EQUAL(test::refusal_of(read, dir.path.string(), "directory"), "");
}
