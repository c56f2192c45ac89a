namespace FastGate.Ai.Metering;

/// <summary>The labels one exchange's series are kept under; the dictionary is looked up with it, no allocation on a hit.</summary>
internal readonly record struct AiSeriesKey(string Route, string Consumer, string Provider, string RequestModel, string ResponseModel);
