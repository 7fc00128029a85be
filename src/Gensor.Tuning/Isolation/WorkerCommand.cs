namespace Gensor.Tuning.Isolation;

/// <summary>How to start a measurement worker process: the program and its arguments.</summary>
public sealed record WorkerCommand(string FileName, IReadOnlyList<string> Arguments);
