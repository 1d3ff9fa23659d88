// mongosh
[
  { $source: { timeField: { $toDate: '$t' }, partitionIdleTimeout: { size: 5, unit: 'second' } } },
  { $match: { v: { $gte: 1 } } },
  { $hoppingWindow: { interval: { size: 1, unit: 'minute' }, hopSize: { size: 20, unit: 'second' },
      allowedLateness: 0, idleTimeout: { size: 30, unit: 'second' },
      pipeline: [ { $group: { _id: '$k', v: { $avg: '$v' } } }, { $sort: { v: -1 } }, { $limit: 3 } ] } },
  { $set: { checked: true, when: ISODate('2024-08-12T21:41:01.788Z'), re: /^a/i } },
]
