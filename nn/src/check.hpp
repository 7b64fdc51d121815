// Checks of the hyperparameters users give nn (strengths, rates, counts), shared so that every
// refusal reads the same: std::invalid_argument("<who>: <option> must be <rule>, got <value>"),
// e.g. "nn::L1: l1 must be a finite number >= 0, got nan". The comparisons are written so that
// NaN fails every one of them.
#pragma once

#include <string>
#include <string_view>

namespace nn::detail {

// The shortest decimal that reads back as v ("0.1", "-1e-09"); "nan", "inf", "-inf".
std::string number(double v);

// Throws unless ok; `value` is the offending value as the message shows it (integers up to 2^53
// print exactly through the double overload).
void require(bool ok, std::string_view who, std::string_view option, std::string_view rule, std::string_view value);
void require(bool ok, std::string_view who, std::string_view option, std::string_view rule, double value);

void require_finite(std::string_view who, std::string_view option, double value);              // not NaN or ±inf
void require_finite_nonnegative(std::string_view who, std::string_view option, double value);  // finite, >= 0
void require_finite_positive(std::string_view who, std::string_view option, double value);     // finite, > 0
void require_fraction(std::string_view who, std::string_view option, double value);            // in [0, 1)

}  // namespace nn::detail
