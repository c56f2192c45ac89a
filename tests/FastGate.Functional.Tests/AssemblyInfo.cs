// Collections run one after another: on a 2-core machine a load test beside a timing test
// (408, 504, drain) would make both flaky, and the RSS and allocation figures would mix.
[assembly: CollectionBehavior(DisableTestParallelization = true)]
