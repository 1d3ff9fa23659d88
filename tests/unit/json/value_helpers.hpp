// SPDX-License-Identifier: Apache-2.0
// Shared helpers of the value-model tests (value_eval_*.cpp, value_group.cpp, query_value_*.cpp,
// value_stage_differential.cpp): the conformance case files, typed comparison of BSON values,
// their canonical Extended JSON, and mongosh's numbers in case files.
#pragma once

#if defined(REEL_JSON_VALUE_EVAL)

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <initializer_list>
#include <sstream>
#include <string>
#include <vector>

#include "reel/bson/compare.hpp"
#include "reel/bson/decimal.hpp"
#include "reel/bson/ejson.hpp"
#include "reel/bson/value.hpp"
#include "reel/json/value.hpp"

namespace value_test {

/// The `.json` case files of the folders of tests/data (by default the conformance cases of
/// stages and pipelines), sorted.
inline std::vector<std::filesystem::path> case_files(std::initializer_list<const char*> folders = {
                                                         "stages", "pipelines"}) {
  std::vector<std::filesystem::path> files;
  for (const char* folder : folders) {
    for (const auto& entry :
         std::filesystem::directory_iterator(std::filesystem::path(REEL_TEST_DATA_DIR) / folder)) {
      if (entry.path().extension() == ".json") files.push_back(entry.path());
    }
  }
  std::sort(files.begin(), files.end());
  return files;
}

/// A case file's JSON.
inline reel::json::document load(const std::filesystem::path& file) {
  std::ifstream in(file);
  std::stringstream text;
  text << in.rdbuf();
  return reel::json::document::parse(text.str());
}

/// True when the JSON text holds an int64 or a Decimal128 wrapper, which the nlohmann path does
/// not keep as such: what depends on one is compared by value only.
inline bool mentions_long_or_decimal(const std::string& text) {
  return text.find("$numberLong") != std::string::npos ||
         text.find("$numberDecimal") != std::string::npos;
}

/// Equal with equal types, recursively; decimals also with the same digits ("200.0" is not
/// "200", as the server prints them); doubles within `tolerance` (relative) when given.
inline bool same_typed(const reel::bson::value& a, const reel::bson::value& b,
                       double tolerance = 0) {
  if (a.type() != b.type()) return false;
  switch (a.type()) {
    case reel::bson::type::document:
      if (a.size() != b.size()) return false;
      for (std::size_t i = 0; i < a.size(); ++i) {
        if (a.fields()[i].name() != b.fields()[i].name() ||
            !same_typed(a.fields()[i].val, b.fields()[i].val, tolerance)) {
          return false;
        }
      }
      return true;
    case reel::bson::type::array:
      if (a.size() != b.size()) return false;
      for (std::size_t i = 0; i < a.size(); ++i) {
        if (!same_typed(a.elements()[i], b.elements()[i], tolerance)) return false;
      }
      return true;
    case reel::bson::type::decimal128:
      return reel::bson::decimal_to_string(a.as_decimal()) ==
             reel::bson::decimal_to_string(b.as_decimal());
    case reel::bson::type::double_:
      return reel::bson::compare(a, b) == 0 ||
             std::fabs(a.as_double() - b.as_double()) <= tolerance * std::fabs(b.as_double());
    default:
      return reel::bson::compare(a, b) == 0;
  }
}

/// Canonical Extended JSON, "missing" for the missing value.
inline std::string show(const reel::bson::value& v) {
  if (v.is_missing()) return "missing";
  std::string out;
  reel::bson::write_ejson(out, v, {reel::bson::ejson_format::canonical});
  return out;
}

/// mongosh's numbers are doubles: plain JSON integers of the case files become doubles (int32,
/// int64 and decimals are written as Extended JSON wrappers).
inline reel::json::document as_mongosh(reel::json::document d) {
  if (d.is_number_integer()) return reel::json::document(d.get<double>());
  if (d.is_array() || d.is_object()) {
    for (auto& e : d)
      e = as_mongosh(std::move(e));
  }
  return d;
}

}  // namespace value_test

#endif  // REEL_JSON_VALUE_EVAL
