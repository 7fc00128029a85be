using System.Text.Json.Nodes;
using Gensor.Construction.Cost;
using Gensor.Etir;
using Gensor.Hardware;
using Gensor.Tests.Support;

namespace Gensor.Tests.Cli;

/// <summary><c>gensor explain</c>, <c>devices</c> and <c>profiles</c>.</summary>
public sealed class InfoCommandTests
{
    [Fact]
    public void Explain_json_lists_axes_with_kinds_and_tensors_with_shapes()
    {
        var result = GensorCli.Run("explain", "--compute", "O[n,f,y,x] += I[n,c,y*2+r-1,x*2+s-1] * W[f,c,r,s]",
            "--shape", "n=1,f=8,y=4,x=4,c=3,r=3,s=3", "--format", "json");

        Assert.True(result.ExitCode == 0, result.Error);
        var etir = JsonNode.Parse(result.Output)!;
        var axes = etir["axes"]!.AsArray();
        Assert.Equal(["n", "f", "y", "x", "c", "r", "s"], axes.Select(a => (string)a!["name"]!));
        Assert.Equal(["spatial", "spatial", "spatial", "spatial", "reduce", "reduce", "reduce"], axes.Select(a => (string)a!["kind"]!));
        Assert.Equal("sum", (string?)etir["reduction"]);
        Assert.Equal([1, 3, 8, 8], etir["inputs"]![0]!["shape"]!.AsArray().Select(v => (int)v!));
    }

    [Fact]
    public void Explain_names_a_fused_axis_and_the_axes_it_replaced_in_json_and_text()
    {
        string[] op = ["explain", "--compute", "O[n,f,y,x] += I[n,c,y,x] * W[f,c]", "--shape", "n=1,f=8,y=14,x=14,c=4"];

        var json = GensorCli.Run([.. op, "--format", "json"]);
        var text = GensorCli.Run(op);

        Assert.True(json.ExitCode == 0, json.Error);
        var pixels = JsonNode.Parse(json.Output)!["axes"]!.AsArray().Single(a => (string?)a!["name"] == "y_x")!;
        Assert.Equal(196, (int)pixels["extent"]!);
        Assert.Equal(["y", "x"], pixels["fused_from"]!.AsArray().Select(v => (string)v!));
        Assert.True(text.ExitCode == 0, text.Error);
        Assert.Contains("y_x      extent 196      spatial  (y, x fused: one contiguous run in every tensor)", text.Output);
        Assert.Contains("I        [1,4,196] input", text.Output);
    }

    [Fact]
    public void Explain_with_a_policy_and_target_reports_the_construction()
    {
        var result = GensorCli.Run("explain", "--compute", "C[m,n] += A[m,k] * B[k,n]", "--shape", "m=512,n=512,k=512",
            "--target", "h100", "--policy", "roller", "--format", "json");

        Assert.True(result.ExitCode == 0, result.Error);
        var json = JsonNode.Parse(result.Output)!;
        Assert.Equal("h100", (string?)json["target"]);
        Assert.Equal("roller", (string?)json["policy"]);
        Assert.True((int)json["states_visited"]! > 0);
        Assert.NotNull(json["construct_ms"]);
        var candidates = json["candidates"]!.AsArray();
        Assert.NotEmpty(candidates);
        Assert.True((double)candidates[0]!["estimated_ms"]! > 0);
    }

    [Fact]
    public void Explain_says_why_when_no_schedule_is_legal_on_the_target()
    {
        using var dir = new TempDirectory();
        // Sixteen registers a thread: less than the simplest kernel needs.
        var profile = dir.File("starved.json", """
            {"name":"starved","architecture":"sm_90","multiprocessors":4,"warp_size":32,"max_threads_per_block":1024,
             "max_threads_per_multiprocessor":2048,"registers_per_multiprocessor":1024,"max_registers_per_thread":16,
             "shared_memory_per_block":1024,"shared_memory_per_multiprocessor":1024,"l2_bytes":1048576,
             "dram_bandwidth_gbs":100,"peak_gflops":100}
            """);

        var result = GensorCli.Run("explain", "--compute", "C[m,n] += A[m,k] * B[k,n]", "--shape", "m=64,n=64,k=64", "--target", profile, "--policy", "gensor", "--compiler-check", "off");

        Assert.True(result.ExitCode == 0, result.Error);
        Assert.Contains("none: no schedule the policy reached is legal on starved (the simplest: about ", result.Output);
        Assert.Contains("registers per thread exceed the limit of 16", result.Output);
    }

    [Fact]
    public void Explain_for_an_nvidia_profile_reports_the_compiler_check_and_each_candidates_registers()
    {
        var result = GensorCli.Run("explain", "--compute", "C[m,n] += A[m,k] * B[k,n]", "--shape", "m=256,n=256,k=256",
            "--target", "h100", "--top-k", "2", "--format", "json");

        Assert.True(result.ExitCode == 0, result.Error);
        var json = JsonNode.Parse(result.Output)!;
        var check = json["compiler_check"]!;
        Assert.StartsWith("ptxas ", (string?)check["tool"]);
        Assert.Equal(CompilerCheckedPolicyCount, (int)check["checked"]!);
        Assert.All(json["candidates"]!.AsArray(), c => Assert.True((int)c!["compiled"]!["registers"]! > 0));
    }

    [Fact]
    public void Explain_with_a_schedule_estimates_that_schedule_alone_with_its_breakdown()
    {
        const string schedule = "block=64x64 thread=4x4 reduce=16 shared=A,B vector=4";
        string[] args = ["explain", "--compute", "C[m,n] += A[m,k] * B[k,n]", "--shape", "m=512,n=512,k=512", "--target", "h100", "--compiler-check", "off"];

        var json = JsonNode.Parse(GensorCli.Run([.. args, "--schedule", schedule, "--format", "json"]).Output)!;
        var text = GensorCli.Run([.. args, "--schedule", schedule]);

        Assert.Equal("fixed", (string?)json["policy"]);
        var candidate = Assert.Single(json["candidates"]!.AsArray())!;
        Assert.Equal(Schedule.Parse(schedule).ToString(), (string?)candidate["schedule"]!["text"]);
        var model = CostModel.EstimateMs(Operators.Parse("C[m,n] += A[m,k] * B[k,n]", "m=512,n=512,k=512"), Schedule.Parse(schedule), ProfileCatalog.Get("h100"));
        Assert.Equal(model, (double)candidate["estimated_ms"]!, 6);
        Assert.NotNull(candidate["breakdown"]);
        Assert.True(text.ExitCode == 0, text.Error);
        Assert.Contains("schedule (given with --schedule", text.Output);
        Assert.Contains("estimate of the schedule", text.Output);
    }

    [Fact]
    public void Explain_says_how_many_multiprocessors_a_small_grid_keeps_busy()
    {
        // "1.02E+05 of 1.4E+04 bytes in flight per SM needed: 10 % of DRAM bandwidth reachable" read as a
        // contradiction: the share counts the SMs with a block, and 16 blocks leave 116 of h100's 132 idle.
        var text = GensorCli.Run("explain", "--compute", "C[m] = A[m] * 2", "--shape", "m=1024", "--target", "h100",
            "--schedule", "block=64 thread=1 reduce=-", "--compiler-check", "off");

        Assert.True(text.ExitCode == 0, text.Error);
        Assert.Contains("  waves        16 blocks in 1 round on the busiest SM (16 of 132 SMs busy), tail efficiency", text.Output);
        Assert.Matches(@"  memory       .* of DRAM bandwidth reachable by 16 busy SMs\n", text.Output.ReplaceLineEndings("\n"));
    }

    [Fact]
    public void Explain_breaks_a_tensor_core_candidate_down_by_the_tensor_core_models_terms()
    {
        string[] args = ["explain", "--compute", "C[m,n] += A[m,k] * B[k,n]", "--shape", "m=4096,n=4096,k=4096", "--dtype", "f16",
            "--target", "h100", "--compiler-check", "off", "--schedule", "block=128x128 thread=64x32 reduce=32 shared=A,B mma=m16n8k16"];

        var json = GensorCli.Run([.. args, "--format", "json"]);
        var text = GensorCli.Run(args);

        Assert.True(json.ExitCode == 0, json.Error);
        var candidate = Assert.Single(JsonNode.Parse(json.Output)!["candidates"]!.AsArray())!;
        var breakdown = candidate["breakdown"]!;
        Assert.Equal("tensor_core", (string?)breakdown["model"]);
        Assert.Equal((double)candidate["estimated_ms"]!, (double)breakdown["total_ms"]!, 3);
        foreach (var term in new[] { "tensor_core_ms", "shared_memory_ms", "l2_ms", "dram_ms", "overlap_ms", "barrier_ms", "launch_ms" })
        {
            Assert.True((double)breakdown[term]! > 0, term);
        }
        Assert.Equal(0, (double)breakdown["thread_sync_ms"]!);
        Assert.Equal("registers", (string?)breakdown["occupancy"]!["limiter"]);
        Assert.Equal(1024, (int)breakdown["blocks"]!);
        Assert.True(text.ExitCode == 0, text.Error);
        Assert.Contains("estimate of the schedule (the tensor-core model; nothing is measured):", text.Output);
        Assert.Contains("  tensor cores 1.37E+11 flops at 60 % of", text.Output);
        Assert.DoesNotContain("thread wakes", text.Output);
    }

    [Fact]
    public void Explain_names_the_scalar_model_in_a_scalar_candidates_breakdown()
    {
        var json = GensorCli.Run("explain", "--compute", "C[m,n] += A[m,k] * B[k,n]", "--shape", "m=512,n=512,k=512", "--target", "h100",
            "--compiler-check", "off", "--schedule", "block=64x64 thread=4x4 reduce=16 shared=A,B", "--format", "json");

        Assert.True(json.ExitCode == 0, json.Error);
        var breakdown = JsonNode.Parse(json.Output)!["candidates"]![0]!["breakdown"]!;
        Assert.Equal("simt", (string?)breakdown["model"]);
        // Issue 10's first-order effects, each a group of its own, and the bounds with what is added to the largest.
        foreach (var term in new[] { "occupancy", "waves", "memory_parallelism", "shared_memory", "issue", "l2_reuse", "reduction" })
        {
            Assert.IsType<JsonObject>(breakdown[term]);
        }
        double Ms(string name) => (double)breakdown[name]!;
        Assert.True(Ms("overlap_ms") > 0);
        var largest = Math.Max(Ms("multiprocessor_ms"), Math.Max(Ms("dram_ms"), Ms("l2_ms")));
        Assert.Equal(Ms("total_ms"), largest + Ms("overlap_ms") + Ms("launch_ms"), 4);
    }

    [Theory]
    [InlineData("--policy", "gensor", "give one of them")]
    [InlineData("--target", "h100", "--schedule 'block=64x64 thread=64x64")]
    public void Explain_refuses_a_schedule_with_a_policy_or_one_the_target_cannot_run(string option, string value, string message)
    {
        var result = GensorCli.Run("explain", "--compute", "C[m,n] += A[m,k] * B[k,n]", "--shape", "m=512,n=512,k=512", "--compiler-check", "off",
            option, value, "--schedule", option == "--policy" ? "block=64x64 thread=4x4 reduce=16" : "block=64x64 thread=64x64 reduce=16");

        Assert.Equal(2, result.ExitCode);
        Assert.Contains(message, result.Error);
        Assert.Equal("", result.Output);
    }

    [Theory]
    [InlineData("pad=4")]
    [InlineData("prefetch=1")]
    [InlineData("vector=4")]
    public void Explain_refuses_padding_or_prefetch_when_nothing_is_staged(string copyChoice)
    {
        // Each shapes the copy into shared memory; without one the kernel is the plain schedule's under another text.
        var result = GensorCli.Run("explain", "--compute", "C[m,n] += A[m,k] * B[k,n]", "--shape", "m=512,n=512,k=512", "--target", "h100", "--compiler-check", "off",
            "--schedule", $"block=64x64 thread=4x4 reduce=16 shared=- {copyChoice}");

        Assert.Equal(2, result.ExitCode);
        Assert.Contains("nothing is staged (shared=-)", result.Error);
        Assert.Equal("", result.Output);
    }

    [Fact]
    public void Explain_with_the_compiler_check_off_ranks_by_the_model_alone()
    {
        var result = GensorCli.Run("explain", "--compute", "C[m,n] += A[m,k] * B[k,n]", "--shape", "m=256,n=256,k=256",
            "--target", "h100", "--compiler-check", "off", "--format", "json");

        Assert.True(result.ExitCode == 0, result.Error);
        var json = JsonNode.Parse(result.Output)!;
        Assert.Null(json["compiler_check"]);
        Assert.All(json["candidates"]!.AsArray(), c => Assert.Null(c!["compiled"]));
    }

    [Theory]
    [InlineData("on", "cpu", "is not an NVIDIA GPU profile")]
    [InlineData("sometimes", "h100", "unknown --compiler-check 'sometimes'")]
    public void A_compiler_check_that_cannot_be_done_is_bad_input(string mode, string target, string message)
    {
        var result = GensorCli.Run("explain", "--compute", "C[m,n] += A[m,k] * B[k,n]", "--shape", "m=64,n=64,k=64",
            "--target", target, "--compiler-check", mode);

        Assert.Equal(2, result.ExitCode);
        Assert.Contains(message, result.Error);
    }

    private const int CompilerCheckedPolicyCount = Gensor.Construction.Feedback.CompilerCheckedPolicy.DefaultChecked;

    [Fact]
    public void Devices_lists_the_cpu_accelerator()
    {
        var result = GensorCli.Run("devices", "--format", "json");

        Assert.True(result.ExitCode == 0, result.Error);
        var cpu = JsonNode.Parse(result.Output)!.AsArray().First(d => (string?)d!["kind"] == "cpu")!;
        Assert.Equal(32, (int)cpu["warp_size"]!);
        Assert.Equal(256, (int)cpu["max_threads_per_group"]!);
    }

    [Fact]
    public void Profiles_lists_the_built_in_gpus()
    {
        var result = GensorCli.Run("profiles");

        Assert.True(result.ExitCode == 0, result.Error);
        foreach (var name in new[] { "v100", "a100", "h100", "rtx3090", "rtx4090", "orin", "cpu" })
        {
            Assert.Contains(name, result.Output);
        }
    }
}
