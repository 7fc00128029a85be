using System.Text.Json.Nodes;
using Gensor.Hardware;
using Gensor.Tests.Support;
using Gensor.Tuning.Reports;

namespace Gensor.Tests.Cli;

/// <summary>Numbers people read: significant digits, throughput against the peak, memory, plurals.</summary>
public sealed class NumbersTests
{
    [Theory]
    [InlineData(0.004818, 3, "0.00482")]
    [InlineData(182.6449, 3, "183")]
    [InlineData(182.6449, 4, "182.6")]
    [InlineData(9.996, 3, "10.0")]
    [InlineData(12345, 3, "12345")]
    [InlineData(0, 3, "0")]
    public void Significant_digits_read_without_exponents(double value, int digits, string text)
    {
        Assert.Equal(text, NumberText.Significant(value, digits));
    }

    [Theory]
    [InlineData(1, "1 candidate")]
    [InlineData(0, "0 candidates")]
    [InlineData(3, "3 candidates")]
    public void Counts_agree_with_their_noun(int count, string text)
    {
        Assert.Equal(text, NumberText.Count(count, "candidate"));
    }

    [Fact]
    public void A_matrix_product_is_judged_by_gflops_against_the_fp32_peak()
    {
        var op = Operators.Parse("C[m,n] += A[m,k] * B[k,n]", "m=1024,n=1024,k=1024");
        var h100 = ProfileCatalog.Get("h100");

        var performance = Performance.Of(op, 1.0, h100);

        Assert.Equal(2.0 * 1024 * 1024 * 1024, performance.Flops);
        Assert.False(performance.MemoryBound);
        Assert.Equal(2147.483648, performance.Gflops, 6);
        Assert.Equal(100 * performance.Gflops / h100.PeakGflops, performance.PercentOfPeak, 9);
        Assert.Contains("GFLOP/s", performance.ToString());
    }

    [Fact]
    public void An_elementwise_operator_is_judged_by_gbs_against_dram_bandwidth()
    {
        var op = Operators.Parse("C[m,n] = A[m,n]", "m=1024,n=1024", "relu(C[m,n] + bias[n])");

        var performance = Performance.Of(op, 0.01, ProfileCatalog.Get("h100"));

        Assert.Equal(2.0 * 1024 * 1024, performance.Flops);
        Assert.True(performance.MemoryBound);
        Assert.Contains("GB/s", performance.ToString());
        Assert.Contains("(memory bound)", performance.ToString());
    }

    [Theory]
    [InlineData("f32", 4)]
    [InlineData("f16", 2)]
    [InlineData("bf16", 2)]
    public void Compulsory_traffic_counts_each_tensor_at_its_element_size(string dtype, int bytes)
    {
        var op = Operators.Parse("C[m,n] += A[m,k] * B[k,n]", "m=64,n=32,k=16", null, dtype);

        Assert.Equal(bytes * (64.0 * 32 + 64 * 16 + 16 * 32), Performance.Traffic(op));
    }

    [Fact]
    public void Explain_prints_h100_estimates_with_three_significant_digits()
    {
        var result = GensorProcess.Run("explain", "--compute", "C[m,n] += A[m,k] * B[k,n]", "--shape", "m=128,n=128,k=128", "--target", "h100", "--top-k", "5");

        Assert.True(result.ExitCode == 0, result.Error);
        var estimates = result.Output.Split('\n').Where(line => line.Contains(" ms  block=")).Select(line => line.Trim().Split(' ', StringSplitOptions.RemoveEmptyEntries)[1]).ToArray();
        Assert.Equal(5, estimates.Length);
        Assert.All(estimates, e => Assert.Equal(3, e.TrimStart('0', '.').Length));
    }

    [Fact]
    public void Tune_reports_throughput_and_share_of_peak_and_agrees_in_number()
    {
        var result = GensorProcess.Run("tune", "--compute", "C[m,n] += A[m,k] * B[k,n]", "--shape", "m=16,n=16,k=8", "--device", "cpu", "--top-k", "1");

        Assert.True(result.ExitCode == 0, result.Error);
        Assert.Contains("measured:  1 candidate, 1 verified", result.Output);
        Assert.Matches(@"speed:     [0-9.]+ (GFLOP/s|GB/s), [0-9.]+% of cpu's", result.Output);
    }

    [Fact]
    public void Tune_json_carries_the_performance()
    {
        var result = GensorCli.Run("tune", "--compute", "C[m,n] += A[m,k] * B[k,n]", "--shape", "m=16,n=16,k=8", "--device", "cpu", "--top-k", "1", "--format", "json");

        var performance = JsonNode.Parse(result.Output)!["performance"]!;
        Assert.Equal(2.0 * 16 * 16 * 8, (double)performance["flops"]!);
        Assert.True((double)performance["percent_of_peak"]! > 0);
        Assert.Equal("cpu", (string?)performance["profile"]);
    }

    [Fact]
    public void Devices_prints_the_cpu_accelerators_memory_as_the_hosts()
    {
        var result = GensorProcess.Run("devices", "--format", "json");

        var cpu = JsonNode.Parse(result.Output)!.AsArray().Single(d => (string?)d!["kind"] == "cpu")!;
        Assert.Equal(GC.GetGCMemoryInfo().TotalAvailableMemoryBytes, (long)cpu["memory_bytes"]!);
        var text = GensorProcess.Run("devices").Output;
        Assert.Contains("GiB (the host's", text);
        Assert.DoesNotContain("9223372036854775807", text);
    }
}
