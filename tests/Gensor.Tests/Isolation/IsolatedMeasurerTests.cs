using System.Text.Json.Nodes;
using Gensor.Backend.Runtime;
using Gensor.Etir;
using Gensor.Tests.Support;
using Gensor.Tuning.Isolation;
using Microsoft.Extensions.Logging.Abstractions;

namespace Gensor.Tests.Isolation;

/// <summary>
/// Measuring in a worker process: a worker that dies or hangs costs the
/// candidate it was on, and a fresh worker takes the rest. The failing workers
/// here are real processes (a shell that exits, one that sleeps).
/// </summary>
[Collection(CpuDeviceCollection.Name)]
public sealed class IsolatedMeasurerTests
{
    private static readonly Operator Gemm = Operators.Parse("C[m,n] += A[m,k] * B[k,n]", "m=16,n=16,k=8");

    private static readonly Schedule[] Schedules =
    [
        Schedule.Parse("block=16x16 thread=2x2 reduce=8 shared=A,B"),
        Schedule.Parse("block=8x16 thread=1x2 reduce=4"),
    ];

    private static Dictionary<int, Measurement> Measure(WorkerCommand worker, TimeSpan timeout)
    {
        var results = new Dictionary<int, Measurement>();
        new IsolatedMeasurer(worker, DeviceKind.Cpu, timeout, NullLogger.Instance).MeasureAll(Gemm, Schedules, seed: 1, (i, m) => results[i] = m);
        return results;
    }

    private static WorkerCommand Shell(string script) => new("bash", ["-c", script]);

    [Fact]
    public void A_real_worker_verifies_and_times_every_candidate()
    {
        var results = Measure(Gensor.Cli.Measurers.CurrentWorker(), TimeSpan.FromSeconds(60));

        Assert.Equal([0, 1], results.Keys.Order());
        Assert.All(results.Values, m => Assert.True(m.Verified, m.Error));
    }

    [Fact]
    public void A_worker_that_dies_on_a_candidate_fails_it_and_a_new_worker_takes_the_rest()
    {
        // Ready, then dies without answering: each worker costs exactly one candidate.
        var results = Measure(Shell("read job; echo '{\"ready\":true,\"compile_ms\":1}'; echo boom >&2; exit 7"), TimeSpan.FromSeconds(30));

        Assert.Equal([0, 1], results.Keys.Order());
        Assert.All(results.Values, m =>
        {
            Assert.False(m.Verified);
            Assert.Contains("worker process died (exit code 7)", m.Error);
            Assert.Contains("boom", m.Error);
        });
    }

    [Fact]
    public void A_candidate_that_hangs_past_the_timeout_fails_and_the_worker_is_stopped()
    {
        var results = Measure(Shell("read job; echo '{\"ready\":true,\"compile_ms\":1}'; sleep 60"), TimeSpan.FromSeconds(1));

        Assert.Equal(2, results.Count);
        Assert.All(results.Values, m => Assert.Contains("no answer within 1 s", m.Error));
    }

    [Fact]
    public void A_worker_killed_before_it_is_ready_is_replaced_once_and_the_candidates_are_measured()
    {
        using var dir = new TempDirectory();
        var real = Gensor.Cli.Measurers.CurrentWorker();
        // The first worker dies before it is ready (as an OOM kill would), the second is the real one.
        var marker = Path.Combine(dir.Path, "started-once");
        var script = $"if [ ! -e '{marker}' ]; then touch '{marker}'; exit 9; fi; exec \"$0\" \"$@\"";

        var results = Measure(new WorkerCommand("bash", ["-c", script, real.FileName, .. real.Arguments]), TimeSpan.FromSeconds(60));

        Assert.True(File.Exists(marker));
        Assert.Equal([0, 1], results.Keys.Order());
        Assert.All(results.Values, m => Assert.True(m.Verified, m.Error));
    }

    [Fact]
    public void A_worker_that_cannot_start_fails_every_candidate_once()
    {
        var results = Measure(Shell("exit 3"), TimeSpan.FromSeconds(5));

        Assert.Equal(2, results.Count);
        Assert.All(results.Values, m => Assert.Contains("exit code 3", m.Error));
    }

    [Fact]
    public void Tune_with_isolate_on_reports_verified_kernels()
    {
        var result = GensorCli.Run("tune", "--compute", "C[m,n] += A[m,k] * B[k,n]", "--shape", "m=16,n=16,k=8",
            "--device", "cpu", "--top-k", "2", "--isolate", "on", "--format", "json");

        Assert.True(result.ExitCode == 0, result.Error);
        Assert.True((bool)JsonNode.Parse(result.Output)!["best"]!["verified"]!);
    }

    [Fact]
    public void An_unknown_isolate_value_is_bad_input()
    {
        var result = GensorCli.Run("tune", "--compute", "C[m] += A[m,k]", "--shape", "m=4,k=4", "--device", "cpu", "--isolate", "maybe");

        Assert.Equal(2, result.ExitCode);
        Assert.StartsWith("error:", result.Error);
    }
}
