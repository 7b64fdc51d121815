#include "plot.hpp"

#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <stdexcept>

#include <gnuplot-iostream.h>

namespace plot {
namespace {

std::string quoted(const std::string& s) {
  std::string q = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') q += '\\';
    q += c;
  }
  return q + "\"";
}

// Runs gnuplot with the commands from `draw`, writing to a temporary PNG that replaces `path`
// only when gnuplot finished without error.
template <class Draw>
void render(const std::string& path, int width, int height, Draw draw) {
  const std::filesystem::path target(path);
  if (target.has_parent_path()) std::filesystem::create_directories(target.parent_path());
  const std::string tmp = path + ".tmp." + std::to_string(getpid());
  {
    Gnuplot gp("gnuplot");
    gp << "set terminal pngcairo size " << width << "," << height << " enhanced font 'DejaVu Sans,11'\n";
    gp << "set output " << quoted(tmp) << "\n";
    gp << "set grid lc rgb '#dddddd'\nset key outside right top\nset border lw 1.2\n";
    draw(gp);
    gp << "unset output\n";
  }  // the destructor waits for gnuplot to exit
  std::error_code ec;
  if (!std::filesystem::exists(tmp, ec) || std::filesystem::file_size(tmp, ec) == 0) {
    std::filesystem::remove(tmp, ec);
    throw std::runtime_error("plot: gnuplot did not produce " + path + " (is gnuplot with pngcairo installed?)");
  }
  std::filesystem::rename(tmp, target);
}

}  // namespace

void save_png(const Figure& f, const std::string& path) {
  render(path, f.width, f.height, [&](Gnuplot& gp) {
    gp << "set title " << quoted(f.title) << " font ',14'\n";
    gp << "set xlabel " << quoted(f.xlabel) << "\nset ylabel " << quoted(f.ylabel) << "\n";
    if (f.logx) gp << "set logscale x\n";
    if (f.logy) gp << "set logscale y\n";
    gp << "plot ";
    for (std::size_t i = 0; i < f.series.size(); ++i) {
      gp << (i ? ", " : "") << "'-' with " << f.series[i].style << " lw 2 title " << quoted(f.series[i].title);
    }
    gp << "\n";
    for (const auto& s : f.series) gp.send1d(std::make_pair(s.x, s.y));
  });
}

void save_png(const Histogram& h, const std::string& path) {
  double lo = INFINITY, hi = -INFINITY;
  for (const auto& [name, values] : h.samples) {
    for (double v : values) {
      lo = std::min(lo, v);
      hi = std::max(hi, v);
    }
  }
  if (!(lo < hi)) {
    lo -= 0.5;
    hi += 0.5;
  }
  const double width = (hi - lo) / h.bins;
  render(path, h.width, h.height, [&](Gnuplot& gp) {
    gp << "set title " << quoted(h.title) << " font ',14'\n";
    gp << "set xlabel " << quoted(h.xlabel) << "\nset ylabel " << quoted(h.ylabel) << "\n";
    if (h.logy) gp << "set logscale y\n";
    gp << "plot ";
    for (std::size_t i = 0; i < h.samples.size(); ++i) {
      gp << (i ? ", " : "") << "'-' with steps lw 2 title " << quoted(h.samples[i].first);
    }
    gp << "\n";
    for (const auto& [name, values] : h.samples) {
      std::vector<double> counts(static_cast<std::size_t>(h.bins), 0.0);
      for (double v : values) {
        auto b = static_cast<std::size_t>(std::clamp((v - lo) / width, 0.0, double(h.bins - 1)));
        counts[b] += 1;
      }
      std::vector<std::pair<double, double>> steps;
      for (int b = 0; b < h.bins; ++b) steps.emplace_back(lo + b * width, h.logy ? std::max(counts[b], 0.5) : counts[b]);
      steps.emplace_back(hi, steps.back().second);
      gp.send1d(steps);
    }
  });
}

void save_png(const DecisionRegions& d, const std::string& path) {
  if (d.probability.size() != d.grid_x.size() * d.grid_y.size()) {
    throw std::invalid_argument("plot: decision-region grid has " + std::to_string(d.probability.size()) +
                                " values for a " + std::to_string(d.grid_y.size()) + " x " +
                                std::to_string(d.grid_x.size()) + " grid");
  }
  render(path, d.width, d.height, [&](Gnuplot& gp) {
    gp << "set title " << quoted(d.title) << " font ',14'\n";
    gp << "set xlabel " << quoted(d.xlabel) << "\nset ylabel " << quoted(d.ylabel) << "\n";
    gp << "set xrange [" << d.grid_x.front() << ":" << d.grid_x.back() << "]\n";
    gp << "set yrange [" << d.grid_y.front() << ":" << d.grid_y.back() << "]\n";
    gp << "set cbrange [0:1]\nset cblabel 'P(class 1)'\n";
    gp << "set palette defined (0 '#3b6fb6', 0.5 '#f7f7f7', 1 '#d0533f')\n";
    gp << "set key outside right top\nunset grid\n";
    gp << "plot '-' with image notitle, "
          "'-' with points pt 7 ps 1.1 lc rgb '#1f3f7a' title 'class 0', "
          "'-' with points pt 5 ps 1.1 lc rgb '#8a1c0c' title 'class 1'\n";
    std::vector<std::tuple<double, double, double>> cells;
    for (std::size_t r = 0; r < d.grid_y.size(); ++r) {
      for (std::size_t c = 0; c < d.grid_x.size(); ++c) cells.emplace_back(d.grid_x[c], d.grid_y[r], d.probability[r * d.grid_x.size() + c]);
    }
    gp.send1d(cells);
    std::vector<std::pair<double, double>> zeros, ones;
    for (std::size_t i = 0; i < d.point_x.size(); ++i) (d.point_label[i] > 0.5 ? ones : zeros).emplace_back(d.point_x[i], d.point_y[i]);
    gp.send1d(zeros);
    gp.send1d(ones);
  });
}

}  // namespace plot
