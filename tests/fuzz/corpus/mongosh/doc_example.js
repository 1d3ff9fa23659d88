// reel explain: mongosh syntax, a connections file beside the pipeline, an unused $env connection.
{
  name: 'rooms',
  pipeline: [
    { $source: { connectionName: 'readings', timeField: { $toDate: '$t' },
                 partitionIdleTimeout: { size: 5, unit: 'second' } } },
    { $match: { watts: { $gte: 10 } } },
    { $hoppingWindow: {
        interval: { size: 1, unit: 'minute' }, hopSize: { size: 20, unit: 'second' },
        allowedLateness: 0, idleTimeout: { size: 30, unit: 'second' },
        pipeline: [
          { $group: { _id: '$room', watts: { $avg: '$watts' } } },
          { $sort: { watts: -1 } },
          { $limit: 3 }
        ] } },
    { $set: { checked: true } },
    { $emit: { connectionName: 'results' } }
  ],
  options: { dlq: { connectionName: 'dead' }, partitionedWindows: true }
}
