// SPDX-License-Identifier: Apache-2.0
// Checks a received request's SigV4 signature the way AWS does: parse the Authorization header,
// check the credential scope, the date and its skew, then rebuild the canonical request from
// what arrived (method, path, query, the signed headers' values, the body's hash), derive the
// signing key from the secret and compare signatures. The pieces are reel::aws's; the tests
// show with AWS's published test vectors that the verifier accepts AWS's own signatures.
#pragma once

#include <chrono>
#include <ctime>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <httplib.h>

#include "reel/aws/sigv4.hpp"

namespace reel::test {

struct aws_identity {
  std::string access_key_id;
  std::string secret_access_key;
  std::string session_token;  ///< required (and signed) when not empty
  std::string region;
  std::string service;
};

/// Why AWS would refuse a request's signature: its error type (`InvalidSignatureException`,
/// `UnrecognizedClientException`, `IncompleteSignatureException`) and message.
struct sigv4_refusal {
  std::string type;
  std::string message;
};

namespace detail {

inline std::string after(const std::string& text, const std::string& marker) {
  const std::size_t at = text.find(marker);
  if (at == std::string::npos) return {};
  const std::size_t start = at + marker.size();
  const std::size_t stop = text.find(',', start);
  std::string out =
      text.substr(start, stop == std::string::npos ? std::string::npos : stop - start);
  while (!out.empty() && out.back() == ' ')
    out.pop_back();
  return out;
}

inline std::vector<std::string> split(const std::string& s, char sep) {
  std::vector<std::string> out;
  std::size_t start = 0;
  while (true) {
    const std::size_t end = s.find(sep, start);
    out.push_back(s.substr(start, end == std::string::npos ? std::string::npos : end - start));
    if (end == std::string::npos) return out;
    start = end + 1;
  }
}

inline std::string percent_decode(const std::string& s) {
  std::string out;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%' && i + 2 < s.size()) {
      out += static_cast<char>(std::stoi(s.substr(i + 1, 2), nullptr, 16));
      i += 2;
    } else {
      out += s[i];
    }
  }
  return out;
}

/// `20150830T123600Z` as a time point, or none.
inline std::optional<std::chrono::system_clock::time_point> parse_amz_date(const std::string& d) {
  std::tm t{};
  if (d.size() != 16 || d[8] != 'T' || d[15] != 'Z') return std::nullopt;
  if (!strptime(d.c_str(), "%Y%m%dT%H%M%SZ", &t)) return std::nullopt;
  return std::chrono::system_clock::from_time_t(timegm(&t));
}

}  // namespace detail

/// Checks the SigV4 signature of `req` for `expected` at time `now`; none when AWS would
/// accept it.
inline std::optional<sigv4_refusal> verify_sigv4(const httplib::Request& req,
                                                 const aws_identity& expected,
                                                 std::chrono::system_clock::time_point now) {
  const std::string auth = req.get_header_value("Authorization");
  if (auth.rfind("AWS4-HMAC-SHA256 ", 0) != 0)
    return sigv4_refusal{"IncompleteSignatureException", "no AWS4-HMAC-SHA256 Authorization"};
  const std::vector<std::string> scope = detail::split(detail::after(auth, "Credential="), '/');
  const std::string names = detail::after(auth, "SignedHeaders=");
  const std::string given = detail::after(auth, "Signature=");
  if (scope.size() != 5 || names.empty() || given.empty())
    return sigv4_refusal{"IncompleteSignatureException", "malformed Authorization: " + auth};
  if (scope[0] != expected.access_key_id)
    return sigv4_refusal{"UnrecognizedClientException",
                         "The security token included in the request is invalid."};
  const std::string date = req.get_header_value("X-Amz-Date");
  const auto signed_at = detail::parse_amz_date(date);
  if (!signed_at || scope[1] != date.substr(0, 8))
    return sigv4_refusal{"IncompleteSignatureException", "bad or missing X-Amz-Date: " + date};
  if (scope[2] != expected.region || scope[3] != expected.service || scope[4] != "aws4_request")
    return sigv4_refusal{"InvalidSignatureException",
                         "Credential should be scoped to a valid "
                         "region and service: " +
                             scope[2] + "/" + scope[3]};
  const auto skew = now > *signed_at ? now - *signed_at : *signed_at - now;
  if (skew > std::chrono::minutes(5))
    return sigv4_refusal{"InvalidSignatureException", "Signature expired: " + date};
  const std::vector<std::string> signed_names = detail::split(names, ';');
  auto is_signed = [&](const std::string& n) {
    return std::find(signed_names.begin(), signed_names.end(), n) != signed_names.end();
  };
  if (!is_signed("host") || !is_signed("x-amz-date"))
    return sigv4_refusal{"IncompleteSignatureException", "host and x-amz-date must be signed"};
  if (!expected.session_token.empty() &&
      (!is_signed("x-amz-security-token") ||
       req.get_header_value("X-Amz-Security-Token") != expected.session_token))
    return sigv4_refusal{"UnrecognizedClientException",
                         "The security token included in the request is invalid."};

  reel::aws::sigv4_request r;
  r.method = req.method;
  const std::size_t q = req.target.find('?');
  r.canonical_uri = reel::aws::canonical_uri(req.target.substr(0, q));
  std::vector<std::pair<std::string, std::string>> query;
  if (q != std::string::npos) {
    for (const std::string& p : detail::split(req.target.substr(q + 1), '&')) {
      const std::size_t eq = p.find('=');
      query.emplace_back(detail::percent_decode(p.substr(0, eq)),
                         eq == std::string::npos ? "" : detail::percent_decode(p.substr(eq + 1)));
    }
  }
  r.canonical_query = reel::aws::canonical_query(std::move(query));
  for (const std::string& n : signed_names) {
    std::string value;
    for (std::size_t i = 0; i < req.get_header_value_count(n); ++i)
      value += (i ? "," : "") + req.get_header_value(n, i);
    r.headers.emplace_back(n, value);
  }
  r.payload_hash = reel::aws::sha256_hex(req.body);
  r.amz_date = date;
  r.region = expected.region;
  r.service = expected.service;
  r.access_key_id = expected.access_key_id;
  r.secret_access_key = expected.secret_access_key;
  if (reel::aws::signature(r) != given) {
    return sigv4_refusal{"InvalidSignatureException",
                         "The request signature we calculated does not match the signature you "
                         "provided. The Canonical String for this request should have been\n'" +
                             reel::aws::canonical_request(r) + "'"};
  }
  return std::nullopt;
}

}  // namespace reel::test
