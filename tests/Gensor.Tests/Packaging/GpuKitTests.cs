using System.Diagnostics;

namespace Gensor.Tests.Packaging;

/// <summary>
/// The GPU measurement kit's Python side (bench/gpu): the vendor baseline's dry run, which
/// needs no torch and no GPU, and the unit tests of the report, the pattern recogniser
/// with its element types, and run_benchmark.sh's dry run.
/// </summary>
public sealed class GpuKitTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);

    [Fact]
    public void Vendor_baseline_dry_run_maps_gemm_to_matmul()
    {
        var result = RunPython("bench/gpu/vendor_baseline.py", "--dry-run", "samples/gemm.json");

        Assert.True(result.ExitCode == 0, result.Describe());
        Assert.Contains("gemm: matmul: torch.mm(A, B)", result.Output, StringComparison.Ordinal);
    }

    [Fact]
    public void Vendor_baseline_dry_run_maps_the_strided_padded_conv_to_conv2d()
    {
        var result = RunPython("bench/gpu/vendor_baseline.py", "--dry-run", "samples/conv2d.json");

        Assert.True(result.ExitCode == 0, result.Describe());
        Assert.Contains("conv2d: conv2d: F.conv2d(I, W, stride=2, padding=1, dilation=1)", result.Output, StringComparison.Ordinal);
    }

    [Fact]
    public void Vendor_baseline_dry_run_times_the_f16_gemm_in_f16()
    {
        var result = RunPython("bench/gpu/vendor_baseline.py", "--dry-run", "samples/gemm-f16.json");

        Assert.True(result.ExitCode == 0, result.Describe());
        Assert.Contains("gemm_f16: matmul: torch.mm(A, B)  [A, B, C: torch.float16; f32 accumulation", result.Output, StringComparison.Ordinal);
    }

    [Fact]
    public void Vendor_baseline_dry_run_stores_bf16_products_in_f32_through_out_dtype()
    {
        var result = RunPython("bench/gpu/vendor_baseline.py", "--dry-run", "samples/gemm-bf16.json");

        Assert.True(result.ExitCode == 0, result.Describe());
        Assert.Contains("gemm_bf16: matmul: torch.mm(A, B, torch.float32)  [A, B: torch.bfloat16 -> C: torch.float32;", result.Output, StringComparison.Ordinal);
    }

    [Fact]
    public void Vendor_baseline_dry_run_allows_tf32_only_when_asked()
    {
        var plain = RunPython("bench/gpu/vendor_baseline.py", "--dry-run", "samples/gemm.json");
        var tf32 = RunPython("bench/gpu/vendor_baseline.py", "--dry-run", "--allow-tf32", "samples/gemm.json");

        Assert.True(plain.ExitCode == 0 && tf32.ExitCode == 0, plain.Describe() + tf32.Describe());
        Assert.Contains("[A, B, C: torch.float32; TF32 off]", plain.Output, StringComparison.Ordinal);
        Assert.Contains("[A, B, C: torch.float32; TF32 on (allow_tf32", tf32.Output, StringComparison.Ordinal);
    }

    [Fact]
    public void Vendor_baseline_dry_run_covers_the_square_gemm_suite()
    {
        var result = RunPython("bench/gpu/vendor_baseline.py", "--dry-run", "bench/gpu/square_gemm.json");

        Assert.True(result.ExitCode == 0, result.Describe());
        foreach (var size in new[] { 1024, 2048, 4096 })
        {
            Assert.Contains($"gemm_{size}: matmul: torch.mm(A, B)", result.Output, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void Python_unit_tests_of_the_kit_pass()
    {
        var result = RunPython("-m", "unittest", "discover", "bench/gpu/tests");

        Assert.True(result.ExitCode == 0, result.Describe());
        Assert.Contains("OK", result.Error, StringComparison.Ordinal);
    }

    [Fact]
    public void Every_pair_the_gpu_session_times_is_a_legal_schedule_of_its_suites_operator_on_h100()
    {
        // A bad row costs a GPU session's time: session.sh only finds out when gensor tune refuses it there.
        var root = Support.Repository.Root();
        var rows = File.ReadAllLines(Path.Combine(root, "bench/gpu/pairs.tsv")).Where(line => line.Length > 0 && !line.StartsWith('#')).ToArray();
        Assert.NotEmpty(rows);
        foreach (var row in rows)
        {
            var columns = row.Split('\t');
            Assert.True(columns.Length == 4, $"not suite, operator, schedule, why: {row}");
            var suite = new[] { $"samples/suites/{columns[0]}.json", $"bench/gpu/{columns[0]}.json" }.Select(f => Path.Combine(root, f)).First(File.Exists);
            var op = Gensor.Tuning.Batch.BatchPlan.Read(suite).Entries.Single(e => e.Name == columns[1]).Operator!;
            var schedule = Gensor.Etir.Schedule.Parse(columns[2]);
            Assert.Null(Gensor.Analysis.OperatorAnalysis.Of(op).CheckStructure(schedule));
            var illegal = Gensor.Construction.Legality.Check(op, schedule, Gensor.Hardware.BuiltInProfiles.H100);
            Assert.True(illegal is null, $"{row}: {illegal}");
        }
    }

    private sealed record PythonResult(int ExitCode, string Output, string Error, string Command)
    {
        public string Describe() => $"{Command} exited with {ExitCode}\nstdout:\n{Output}\nstderr:\n{Error}";
    }

    private static PythonResult RunPython(params string[] args)
    {
        var info = new ProcessStartInfo("python3") { WorkingDirectory = Support.Repository.Root() };
        foreach (var arg in args)
        {
            info.ArgumentList.Add(arg);
        }
        info.Environment["PYTHONDONTWRITEBYTECODE"] = "1";
        var command = "python3 " + string.Join(' ', args);
        try
        {
            var output = Support.ChildProcess.Run(info, Timeout);
            return new PythonResult(output.ExitCode, output.Stdout, output.Stderr, command);
        }
        catch (System.ComponentModel.Win32Exception ex)
        {
            Assert.Fail($"python3 is required for the GPU kit tests (bench/gpu) but could not be started: {ex.Message}. Install Python 3 and put python3 on PATH.");
            throw;
        }
    }
}
