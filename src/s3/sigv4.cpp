// SPDX-License-Identifier: Apache-2.0
// AWS Signature Version 4: encoding helpers and an independent signer (OpenSSL for the hashes).
#include "reel/s3/sigv4.hpp"

#include <algorithm>
#include <cctype>
#include <string>

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/sha.h>

#include "util.hh"

namespace reel::s3 {

std::string uri_encode(std::string_view s, bool encode_slash) {
  static constexpr char hex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(s.size() * 3 / 2);
  for (unsigned char c : s) {
    const bool unreserved = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
                            (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.' ||
                            c == '~' || (c == '/' && !encode_slash);
    if (unreserved) {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += hex[c >> 4];
      out += hex[c & 0xF];
    }
  }
  return out;
}

std::string canonical_query(std::vector<std::pair<std::string, std::string>> params) {
  for (auto& [name, value] : params) {
    name = uri_encode(name, true);
    value = uri_encode(value, true);
  }
  std::sort(params.begin(), params.end());
  std::string out;
  for (const auto& [name, value] : params) {
    if (!out.empty()) out += '&';
    out += name;
    out += '=';
    out += value;
  }
  return out;
}

namespace detail {

std::string to_hex(const unsigned char* data, std::size_t size) {
  static constexpr char hex[] = "0123456789abcdef";
  std::string out(size * 2, '0');
  for (std::size_t i = 0; i < size; ++i) {
    out[2 * i] = hex[data[i] >> 4];
    out[2 * i + 1] = hex[data[i] & 0xF];
  }
  return out;
}

std::string hmac_sha256(std::string_view key, std::string_view data) {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int size = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
       reinterpret_cast<const unsigned char*>(data.data()), data.size(), out, &size);
  return std::string(reinterpret_cast<const char*>(out), size);
}

}  // namespace detail

std::string sha256_hex(std::string_view data) {
  unsigned char digest[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(data.data()), data.size(), digest);
  return detail::to_hex(digest, sizeof digest);
}

namespace {

std::string trim_squeeze(std::string_view v) {
  std::string out;
  bool space = false;
  for (char c : v) {
    if (c == ' ' || c == '\t') {
      space = !out.empty();
      continue;
    }
    if (space) out += ' ';
    space = false;
    out += c;
  }
  return out;
}

/// Lower-cased, trimmed, sorted headers; duplicates joined with ','.
std::vector<std::pair<std::string, std::string>> canonical_headers(const sigv4_request& r) {
  std::vector<std::pair<std::string, std::string>> h;
  for (const auto& [name, value] : r.headers) {
    h.emplace_back(detail::lower(name), trim_squeeze(value));
  }
  std::stable_sort(h.begin(), h.end(),
                   [](const auto& a, const auto& b) { return a.first < b.first; });
  std::vector<std::pair<std::string, std::string>> out;
  for (auto& [name, value] : h) {
    if (!out.empty() && out.back().first == name) {
      out.back().second += ',' + value;
    } else {
      out.emplace_back(std::move(name), std::move(value));
    }
  }
  return out;
}

std::string signed_header_names(const std::vector<std::pair<std::string, std::string>>& h) {
  std::string out;
  for (const auto& [name, value] : h) {
    if (!out.empty()) out += ';';
    out += name;
  }
  return out;
}

}  // namespace

std::string canonical_request(const sigv4_request& r) {
  const auto headers = canonical_headers(r);
  std::string out = r.method + '\n' + r.canonical_uri + '\n' + r.canonical_query + '\n';
  for (const auto& [name, value] : headers) {
    out += name + ':' + value + '\n';
  }
  out += '\n' + signed_header_names(headers) + '\n' + r.payload_hash;
  return out;
}

std::string authorization(const sigv4_request& r) {
  const std::string date = r.amz_date.substr(0, 8);
  const std::string scope = date + '/' + r.region + '/' + r.service + "/aws4_request";
  const std::string to_sign =
      "AWS4-HMAC-SHA256\n" + r.amz_date + '\n' + scope + '\n' + sha256_hex(canonical_request(r));
  std::string key = detail::hmac_sha256("AWS4" + r.secret_access_key, date);
  key = detail::hmac_sha256(key, r.region);
  key = detail::hmac_sha256(key, r.service);
  key = detail::hmac_sha256(key, "aws4_request");
  const std::string mac = detail::hmac_sha256(key, to_sign);
  const std::string signature =
      detail::to_hex(reinterpret_cast<const unsigned char*>(mac.data()), mac.size());
  return "AWS4-HMAC-SHA256 Credential=" + r.access_key_id + '/' + scope +
         ", SignedHeaders=" + signed_header_names(canonical_headers(r)) +
         ", Signature=" + signature;
}

}  // namespace reel::s3
