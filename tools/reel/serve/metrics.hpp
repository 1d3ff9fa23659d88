// SPDX-License-Identifier: Apache-2.0
// The processors' figures in the Prometheus text exposition format (version 0.0.4), for
// `GET /metrics`: one family per figure, `processor` (and `partition`, `reason`) as labels,
// counters ending in `_total`, times in seconds, sizes in bytes.
#pragma once

#include <string>
#include <vector>

#include <reel/json/value.hpp>
#include <reel/time.hpp>

namespace reel::serve {

/// `snapshot` is `processor_host::metrics_snapshot()`; `now` gives the lags and ages.
[[nodiscard]] std::string prometheus_text(const std::vector<nlohmann::ordered_json>& snapshot,
                                          timestamp now);

/// The content type of `prometheus_text`'s output.
inline constexpr const char* prometheus_content_type = "text/plain; version=0.0.4; charset=utf-8";

}  // namespace reel::serve
