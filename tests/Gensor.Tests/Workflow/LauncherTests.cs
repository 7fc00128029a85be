using System.Reflection;
using System.Text.Json.Nodes;
using Gensor.Backend.Emission;
using Gensor.Backend.Lowering;
using Gensor.Backend.Runtime;
using Gensor.Etir;
using Gensor.Reference;
using Gensor.Tests.Support;
using ILGPU;
using ILGPU.Runtime;
using ILGPU.Runtime.CPU;

namespace Gensor.Tests.Workflow;

/// <summary>
/// The launcher in an emitted kernel.cs: a user's program compiles against it
/// with ILGPU alone and gets the operator's result from one Launch call.
/// </summary>
[Collection(CpuDeviceCollection.Name)]
public sealed class LauncherTests(CpuDeviceFixture fixture)
{
    private static string RepoFile(string path) => Path.Combine(AppContext.BaseDirectory, path);

    private static (string KernelCs, JsonNode Launch) Emit(TempDirectory dir, params string[] args)
    {
        var outDir = Path.Combine(dir.Path, "out");
        var result = GensorCli.Run(["emit", .. args, "--out", outDir]);
        Assert.True(result.ExitCode == 0, result.Error);
        return (File.ReadAllText(Path.Combine(outDir, "kernel.cs")), JsonNode.Parse(File.ReadAllText(Path.Combine(outDir, "launch.json")))!);
    }

    [Fact]
    public void The_readme_program_runs_the_emitted_gemm_through_its_launcher()
    {
        using var dir = new TempDirectory();
        var (kernel, _) = Emit(dir, Operators.SamplePath("gemm"), "--target", "h100");

        var program = CSharpProgram.Compile(executable: true, kernel, File.ReadAllText(RepoFile("samples/launch/Program.cs")));

        // The program checks C against its own triple loop and returns 0 when it matches.
        Assert.Equal(0, program.EntryPoint!.Invoke(null, [Array.Empty<string>()]));
    }

    [Fact]
    public void Launch_takes_the_tensors_in_launch_json_order_and_matches_the_reference()
    {
        using var dir = new TempDirectory();
        // Inputs read in the epilogue as well as the body, so the order is not just "the output, then A, B".
        var (kernel, launch) = Emit(dir, "--compute", "Y[i,j] += W[j,q] * X[i,q]", "--shape", "i=24,j=20,q=12",
            "--epilogue", "relu(Y[i,j] + bias[j])", "--name", "linear_relu", "--target", "h100");
        var op = Operators.Parse("Y[i,j] += W[j,q] * X[i,q]", "i=24,j=20,q=12", "relu(Y[i,j] + bias[j])");
        var inputs = InputGenerator.Generate(op, seed: 7);
        var order = launch["arguments"]!.AsArray().Select(a => (string)a!["tensor"]!).ToArray();
        Assert.Equal(["Y", "W", "X", "bias"], order);

        var assembly = CSharpProgram.Compile(executable: false, kernel);
        var launcher = assembly.GetType($"{launch["launcher"]!["namespace"]}.{launch["launcher"]!["class"]}")!;
        var accelerator = fixture.Device.Accelerator;
        using var buffers = ArgumentBuffers.Allocate(accelerator, order, name => name == "Y" ? new float[op.Output.ElementCount] : inputs[name]);
        Invoke(launcher, (string)launch["launcher"]!["method"]!, accelerator, buffers.Buffers);
        accelerator.Synchronize();

        var check = Verifier.Compare(ReferenceEvaluator.Evaluate(op, inputs), buffers.Buffers[0].GetAsArray1D());
        Assert.True(check.Passed, $"max abs error {check.MaxAbsError}");
    }

    public static TheoryData<string, string, string?> Random_launch_operators => new()
    {
        { "Y[i,j] += W[j,q] * X[i,q]", "i=12,j=20,q=16", "relu(Y[i,j] + bias[j])" },
        { "O[n,f,y,x] += I[n,c,y*2+r-1,x*2+s-1] * W[f,c,r,s]", "n=1,f=4,y=5,x=6,c=3,r=3,s=3", null },
        { "y[i] += A[i,j] * x[j]", "i=8,j=256", null },
    };

    [Theory]
    [MemberData(nameof(Random_launch_operators))]
    public void Random_schedules_through_the_emitted_launcher_match_the_reference_twice_on_the_same_buffers(string compute, string shape, string? epilogue)
    {
        // emit runs nothing, so a wrong launcher, argument order or missing zeroing would reach users unseen. A fuzzing round
        // took this path 2,154 times (none wrong); these draws (staging, vectors, cp.async, reduce threads, split-K for h100)
        // keep it checked. The second launch on the same buffers catches a split kernel whose output is not zeroed.
        var op = Operators.Parse(compute, shape, epilogue);
        var inputs = InputGenerator.Generate(op, seed: 3);
        var reference = ReferenceEvaluator.Evaluate(op, inputs);
        var schedules = RandomSchedules.Draw(op, new Random(compute.Length), 40, Gensor.Hardware.BuiltInProfiles.H100)
            .Where(schedule => schedule.ThreadsPerBlock <= 256).Take(3).ToArray();
        Assert.Equal(3, schedules.Length);
        foreach (var schedule in schedules)
        {
            using var dir = new TempDirectory();
            var (kernel, launch) = Emit(dir, ["--compute", compute, "--shape", shape, .. epilogue is null ? [] : new[] { "--epilogue", epilogue },
                "--name", "op", "--target", "h100", "--schedule", schedule.ToString()]);
            var launcher = CSharpProgram.Compile(executable: false, kernel).GetType($"{launch["launcher"]!["namespace"]}.{launch["launcher"]!["class"]}")!;
            var order = launch["arguments"]!.AsArray().Select(a => (string)a!["tensor"]!).ToArray();
            var accelerator = fixture.Device.Accelerator;
            // The output starts as garbage: a launcher that does not clear it for a split kernel fails.
            using var buffers = ArgumentBuffers.Allocate(accelerator, order,
                name => name == op.Output.Name ? Enumerable.Repeat(7f, (int)op.Output.ElementCount).ToArray() : inputs[name]);
            for (var launchIndex = 0; launchIndex < 2; launchIndex++)
            {
                Invoke(launcher, (string)launch["launcher"]!["method"]!, accelerator, buffers.Buffers);
                accelerator.Synchronize();
                var check = Verifier.Compare(reference, buffers.Buffers[0].GetAsArray1D());
                Assert.True(check.Passed, $"{schedule}, launch {launchIndex + 1}: max abs error {check.MaxAbsError}");
            }
        }
    }

    [Fact]
    public void A_buffer_of_the_wrong_size_is_refused_with_the_tensor_named()
    {
        using var dir = new TempDirectory();
        var (kernel, launch) = Emit(dir, "--compute", "C[m,n] += A[m,k] * B[k,n]", "--shape", "m=16,n=16,k=8", "--name", "mm", "--target", "h100");
        var launcher = CSharpProgram.Compile(executable: false, kernel).GetType("Gensor.Kernels.Mm")!;
        var accelerator = fixture.Device.Accelerator;
        using var c = accelerator.Allocate1D<float>(256);
        using var a = accelerator.Allocate1D<float>(100);
        using var b = accelerator.Allocate1D<float>(128);

        var error = Assert.Throws<ArgumentException>(() => Invoke(launcher, "Launch", accelerator, [c, a, b]));

        Assert.Contains("A[16,8] holds 100 elements; the tensor has 128", error.Message);
    }

    [Fact]
    public void An_accelerator_with_groups_smaller_than_the_kernels_is_refused_with_advice()
    {
        using var dir = new TempDirectory();
        var (kernel, launch) = Emit(dir, "--compute", "C[m,n] += A[m,k] * B[k,n]", "--shape", "m=64,n=64,k=8", "--name", "mm",
            "--target", "h100", "--schedule", "block=64x64 thread=2x2 reduce=8");
        Assert.Equal(1024, (int)launch["group"]!);
        var launcher = CSharpProgram.Compile(executable: false, kernel).GetType("Gensor.Kernels.Mm")!;

        var accelerator = fixture.Device.Accelerator;
        using var c = accelerator.Allocate1D<float>(64 * 64);
        using var a = accelerator.Allocate1D<float>(64 * 8);
        using var b = accelerator.Allocate1D<float>(8 * 64);

        var error = Assert.Throws<NotSupportedException>(() => Invoke(launcher, "Launch", accelerator, [c, a, b]));

        Assert.Contains("allows 256 threads per group; this kernel needs 1024", error.Message);
        Assert.Contains("CPUDevice", error.Message);
    }

    [Theory]
    [InlineData("C[m,n] += A[m,k] * B[k,n]", "m=64,n=64,k=32", null)]
    // Batch-1 ResNet-50's stem, its h100 pick: an unrolled 7x7 window with bounds checks, where the hook's second pass matters.
    [InlineData("O[b,f,y,x] += I[b,c,y*2+r-3,x*2+s-3] * W[f,c,r,s]", "b=1,f=64,y=112,x=112,c=3,r=7,s=7",
        "block=1x8x16x16 thread=1x8x2x1 reduce=3x7x7 shared=W pad=4 prefetch=1 buffers=2")]
    public void The_launcher_compiles_its_kernel_for_cuda_to_the_ptx_gensor_inspected(string compute, string shape, string? schedule)
    {
        // The launcher carries its own copy of gensor's compiler hook (GlobalKernelParameters): a user's program
        // references ILGPU, not gensor. The copy must compile the kernel to the same PTX, global loads included.
        using var dir = new TempDirectory();
        var (kernel, _) = Emit(dir, ["--compute", compute, "--shape", shape, "--name", "op", "--target", "h100", .. schedule is null ? [] : new[] { "--schedule", schedule }]);
        var assembly = CSharpProgram.Compile(executable: false, kernel);
        var method = assembly.GetTypes().Select(t => t.GetMethod(KernelSource.MethodName)).Single(m => m is not null)!;
        var hookType = assembly.GetType("Gensor.Kernels.Op")!.GetNestedType("GlobalTensors", BindingFlags.NonPublic)!;
        var withLaunchersHook = (string)typeof(OfflineKernelCompiler).GetMethods(BindingFlags.NonPublic | BindingFlags.Static)
            .Single(m => m.Name == nameof(OfflineKernelCompiler.Ptx) && m.IsGenericMethodDefinition)
            .MakeGenericMethod(hookType).Invoke(null, [method, "sm_90", Activator.CreateInstance(hookType)])!;

        var gensors = OfflineKernelCompiler.Ptx(method, "sm_90");

        Assert.Contains("ld.global", gensors);
        // ILGPU numbers its values across compilations (_t_C_21009, then _t_C_19270): compare the code, not the numbers.
        static string Code(string ptx) => System.Text.RegularExpressions.Regex.Replace(ptx, @"_\d+\b", "_#");
        Assert.Equal(Code(gensors), Code(withLaunchersHook));
    }

    [Fact]
    public void A_cp_async_kernels_launcher_passes_the_addresses_and_matches_the_reference()
    {
        // A pipelined f16 tensor-core kernel copies A and B by cp.async: after the tensors it takes their device
        // addresses, which the launcher takes from the views (on the CPU the kernel copies through the views instead).
        using var dir = new TempDirectory();
        const string schedule = "block=32x64 thread=16x32 reduce=16 shared=A,B mma=m16n8k16 buffers=2 prefetch=1";
        var (kernel, launch) = Emit(dir, "--compute", "C[m,n] += A[m,k] * B[k,n]", "--shape", "m=32,n=128,k=48", "--dtype", "f16",
            "--name", "hgemm", "--target", "h100", "--schedule", schedule);
        Assert.Equal(["A", "B"], launch["addresses"]!.AsArray().Select(a => (string)a!["tensor"]!));
        Assert.Equal([3, 4], launch["addresses"]!.AsArray().Select(a => (int)a!["index"]!));
        var op = Operators.Parse("C[m,n] += A[m,k] * B[k,n]", "m=32,n=128,k=48", null, "f16");
        // The inputs as f16 holds them, so the reference sees the values the kernel multiplies.
        var inputs = InputGenerator.Generate(op, seed: 3).ToDictionary(p => p.Key, p => p.Value.Select(v => (float)(System.Half)v).ToArray());

        var assembly = CSharpProgram.Compile(executable: false, kernel);
        var launcher = assembly.GetType("Gensor.Kernels.Hgemm")!;
        // The launcher carries PtxLocalPromotion's source, which compiles its kernel for CUDA as gensor did.
        Assert.NotNull(launcher.GetNestedType("PtxLocalPromotion", BindingFlags.NonPublic));
        var accelerator = fixture.Device.Accelerator;
        using var c = accelerator.Allocate1D<ILGPU.Half>(op.Output.ElementCount);
        using var a = accelerator.Allocate1D(inputs["A"].Select(v => (ILGPU.Half)v).ToArray());
        using var b = accelerator.Allocate1D(inputs["B"].Select(v => (ILGPU.Half)v).ToArray());
        launcher.GetMethod("Launch")!.Invoke(null, [accelerator, c.View.AsContiguous(), a.View.AsContiguous(), b.View.AsContiguous()]);
        accelerator.Synchronize();

        var check = Verifier.Compare(ReferenceEvaluator.Evaluate(op, inputs), c.GetAsArray1D().Select(h => (float)h).ToArray());
        Assert.True(check.Passed, $"max abs error {check.MaxAbsError}: {check.Problem}");
    }

    [Fact]
    public void An_asynchronous_copy_kernels_launcher_passes_the_staged_tensors_addresses()
    {
        // async=1: the staged inputs' boxes go by cp.async on CUDA, so the kernel takes their addresses after the tensors.
        using var dir = new TempDirectory();
        var (kernel, launch) = Emit(dir, "--compute", "C[m,n] += A[m,k] * B[k,n]", "--shape", "m=40,n=64,k=24",
            "--name", "sgemm", "--target", "h100", "--schedule", "block=32x64 thread=4x4 reduce=8 shared=A,B vector=4 buffers=2 async=1");
        Assert.Equal(["A", "B"], launch["addresses"]!.AsArray().Select(a => (string)a!["tensor"]!));
        var op = Operators.Parse("C[m,n] += A[m,k] * B[k,n]", "m=40,n=64,k=24");
        var inputs = InputGenerator.Generate(op, seed: 4);

        var assembly = CSharpProgram.Compile(executable: false, kernel);
        var accelerator = fixture.Device.Accelerator;
        using var c = accelerator.Allocate1D<float>(op.Output.ElementCount);
        using var a = accelerator.Allocate1D(inputs["A"]);
        using var b = accelerator.Allocate1D(inputs["B"]);
        assembly.GetType("Gensor.Kernels.Sgemm")!.GetMethod("Launch")!.Invoke(null, [accelerator, c.View.AsContiguous(), a.View.AsContiguous(), b.View.AsContiguous()]);
        accelerator.Synchronize();

        var check = Verifier.Compare(ReferenceEvaluator.Evaluate(op, inputs), c.GetAsArray1D());
        Assert.True(check.Passed, $"max abs error {check.MaxAbsError}: {check.Problem}");
    }

    [Fact]
    public void The_launchers_copy_of_the_slot_promotion_is_gensors_source()
    {
        using var dir = new TempDirectory();
        var (kernel, _) = Emit(dir, "--compute", "C[m,n] += A[m,k] * B[k,n]", "--shape", "m=4096,n=4096,k=4096", "--dtype", "f16",
            "--name", "hgemm", "--target", "h100", "--schedule", "block=128x128 thread=64x32 reduce=32 shared=A,B mma=m16n8k16 buffers=2 prefetch=1");
        var source = File.ReadAllText(Path.Combine(Repository.Root(), "src", "Gensor.Backend", "Emission", "PtxLocalPromotion.cs")).ReplaceLineEndings("\n");
        var body = source[(source.IndexOf("/// <summary>", StringComparison.Ordinal))..].TrimEnd('\n')
            .Replace("public static class PtxLocalPromotion", "private static class PtxLocalPromotion", StringComparison.Ordinal);

        // Indented one level inside the launcher class, blank lines kept blank.
        var nested = string.Join('\n', body.Split('\n').Select(line => line.Length == 0 ? "" : "    " + line));
        Assert.Contains(nested, kernel.ReplaceLineEndings("\n"));
    }

    [Fact]
    public void A_split_kernel_is_launched_on_a_cleared_output_whatever_the_buffer_held()
    {
        using var dir = new TempDirectory();
        var (kernel, launch) = Emit(dir, "--compute", "y[i] += A[i,j] * x[j]", "--shape", "i=64,j=256", "--name", "mv",
            "--target", "h100", "--schedule", "block=64 thread=1 reduce=32 split=4");
        Assert.True((bool)launch["zero_output_before_launch"]!);
        Assert.Equal(4, (int)launch["grid"]!);
        var op = Operators.Parse("y[i] += A[i,j] * x[j]", "i=64,j=256");
        var inputs = InputGenerator.Generate(op, seed: 4);
        var launcher = CSharpProgram.Compile(executable: false, kernel).GetType("Gensor.Kernels.Mv")!;
        var accelerator = fixture.Device.Accelerator;
        // The output starts as garbage, and the kernel runs twice: neither may leak into the result.
        using var y = accelerator.Allocate1D(Enumerable.Repeat(1e6f, 64).ToArray());
        using var a = accelerator.Allocate1D(inputs["A"]);
        using var x = accelerator.Allocate1D(inputs["x"]);

        Invoke(launcher, "Launch", accelerator, [y, a, x]);
        Invoke(launcher, "Launch", accelerator, [y, a, x]);
        accelerator.Synchronize();

        var check = Verifier.Compare(ReferenceEvaluator.Evaluate(op, inputs), y.GetAsArray1D());
        Assert.True(check.Passed, check.Problem);
    }

    [Fact]
    public void Tensors_named_like_the_launchers_own_names_still_compile_and_run()
    {
        using var dir = new TempDirectory();
        // The output shares the operator's (and so the launcher class's) name; inputs are named like the launcher's members.
        var (kernel, launch) = Emit(dir, "--compute", "Mm[i] += CheckLength[i,j] * accelerator[j]", "--shape", "i=16,j=8", "--name", "mm", "--target", "h100");
        var op = Operators.Parse("Mm[i] += CheckLength[i,j] * accelerator[j]", "i=16,j=8");
        var inputs = InputGenerator.Generate(op, seed: 3);
        var launcher = CSharpProgram.Compile(executable: false, kernel).GetType("Gensor.Kernels.Mm")!;
        var accelerator = fixture.Device.Accelerator;
        var names = launch["arguments"]!.AsArray().Select(a => (string)a!["tensor"]!).ToArray();
        using var buffers = ArgumentBuffers.Allocate(accelerator, names, n => n == "Mm" ? new float[16] : inputs[n]);
        Invoke(launcher, "Launch", accelerator, buffers.Buffers);
        accelerator.Synchronize();

        Assert.True(Verifier.Compare(ReferenceEvaluator.Evaluate(op, inputs), buffers.Buffers[0].GetAsArray1D()).Passed);
    }

    [Theory]
    // A project with implicit usings (the SDK's default) imports System.Half: f16 kernels named Half ambiguously.
    [InlineData("gemm", "f16", "Gemm")]
    [InlineData("gemm", "bf16", "Gemm")]
    // Operators named like what the kernel uses unqualified, or like the launcher's own members.
    [InlineData("ILGPU", "f32", "ILGPUOp")]
    [InlineData("half", "f16", "HalfOp")]
    [InlineData("launch", "f32", "LaunchOp")]
    [InlineData("cuda_asm", "f16", "CudaAsmOp")]
    public void An_emitted_kernel_compiles_in_a_project_with_implicit_usings_whatever_its_name(string name, string dtype, string launcherClass)
    {
        using var dir = new TempDirectory();
        var (kernel, launch) = Emit(dir, "--compute", "C[m,n] += A[m,k] * B[k,n]", "--shape", "m=32,n=32,k=16", "--dtype", dtype, "--name", name, "--target", "h100");

        var assembly = CSharpProgram.Compile(executable: false, kernel);

        Assert.Equal(launcherClass, (string?)launch["launcher"]!["class"]);
        Assert.NotNull(assembly.GetType($"Gensor.Kernels.{launcherClass}"));
    }

    [Fact]
    public void The_namespace_option_places_kernel_and_launcher()
    {
        using var dir = new TempDirectory();
        var (kernel, launch) = Emit(dir, "--compute", "y[i] += A[i,j] * x[j]", "--shape", "i=16,j=8", "--name", "gemv", "--target", "h100", "--namespace", "MyApp.Kernels");

        var assembly = CSharpProgram.Compile(executable: false, kernel);

        Assert.NotNull(assembly.GetType("MyApp.Kernels.Gemv"));
        Assert.NotNull(assembly.GetType((string)launch["kernel"]!["class"]!));
        Assert.StartsWith("MyApp.Kernels.", (string?)launch["kernel"]!["class"]);
    }

    [Theory]
    [InlineData("My App")]
    [InlineData("class")]
    [InlineData("A..B")]
    public void A_namespace_that_is_not_csharp_is_bad_input(string name) =>
        Assert.StartsWith("error: --namespace", EmitRefused(name, "f32"));

    /// <summary>Emits the gemm sample into <c>--namespace</c> <paramref name="name"/>: it must exit 2 and write nothing; its error.</summary>
    private static string EmitRefused(string name, string dtype)
    {
        using var dir = new TempDirectory();
        var outDir = Path.Combine(dir.Path, "out");

        var result = GensorCli.Run("emit", Operators.SamplePath("gemm"), "--target", "h100", "--dtype", dtype, "--namespace", name, "--out", outDir);

        Assert.Equal(2, result.ExitCode);
        Assert.False(Directory.Exists(outDir));
        return result.Error;
    }

    [Fact]
    public void A_kernel_whose_lanes_shuffle_is_refused_on_warps_that_are_not_32_threads()
    {
        using var dir = new TempDirectory();
        // 16 lanes share the one output's sum by warp shuffles (xor 8, 4, 2, 1): a group of 16 fits ILGPU's
        // default CPU accelerator (4 warps of 4), where the shuffles cross warps. It returned a wrong sum.
        var (kernel, launch) = Emit(dir, "--compute", "y[i] += X[i,j]", "--shape", "i=1,j=64", "--name", "rowsum",
            "--target", "h100", "--schedule", "block=1 thread=1 reduce=64 rthreads=16");
        Assert.Equal(16, (int)launch["group"]!);
        var op = Operators.Parse("y[i] += X[i,j]", "i=1,j=64");
        var inputs = InputGenerator.Generate(op, seed: 5);
        var launcher = CSharpProgram.Compile(executable: false, kernel).GetType("Gensor.Kernels.Rowsum")!;
        using var context = Context.Create(builder => builder.CPU(new CPUDevice(4, 4, 1)).EnableAlgorithms());
        using var smallWarps = context.GetCPUDevice(0).CreateAccelerator(context);
        using var y = smallWarps.Allocate1D<float>(1);
        using var x = smallWarps.Allocate1D(inputs["X"]);

        var error = Assert.Throws<NotSupportedException>(() => Invoke(launcher, "Launch", smallWarps, [y, x]));

        Assert.Contains("has warps of 4 threads; this kernel's warp shuffles need warps of 32", error.Message);
        // On warps of 32 the same launcher runs and is right.
        var accelerator = fixture.Device.Accelerator;
        using var y32 = accelerator.Allocate1D<float>(1);
        using var x32 = accelerator.Allocate1D(inputs["X"]);
        Invoke(launcher, "Launch", accelerator, [y32, x32]);
        accelerator.Synchronize();
        Assert.True(Verifier.Compare(ReferenceEvaluator.Evaluate(op, inputs), y32.GetAsArray1D()).Passed);
    }

    [Theory]
    // Each part of a namespace is a name the kernel's code sees before its usings: these hid ILGPU's
    // Group, Grid, Stride1D and Half, and kernel.cs did not compile (emit exited 0).
    [InlineData("Group", "f32")]
    [InlineData("A.Grid", "f32")]
    [InlineData("Stride1D", "f32")]
    [InlineData("MyApp.Half", "f16")]
    public void A_namespace_that_hides_an_ilgpu_type_the_kernel_uses_is_bad_input(string name, string dtype) =>
        Assert.Contains($"error: --namespace '{name}': a namespace named", EmitRefused(name, dtype));

    [Theory]
    // Names next to the refused ones still compile.
    [InlineData("MyApp.ILGPU.Kernels")]
    [InlineData("Groups.Kernels")]
    public void A_namespace_near_an_ilgpu_name_still_compiles(string name)
    {
        using var dir = new TempDirectory();
        var (kernel, launch) = Emit(dir, Operators.SamplePath("gemm"), "--target", "h100", "--dtype", "f16", "--namespace", name);

        var assembly = CSharpProgram.Compile(executable: false, kernel);

        Assert.NotNull(assembly.GetType($"{name}.{launch["launcher"]!["class"]}"));
    }

    /// <summary>A float32 buffer per launch.json argument, in its order, disposed together.</summary>
    private sealed class ArgumentBuffers(MemoryBuffer1D<float, Stride1D.Dense>[] buffers) : IDisposable
    {
        public MemoryBuffer1D<float, Stride1D.Dense>[] Buffers => buffers;

        public static ArgumentBuffers Allocate(Accelerator accelerator, IEnumerable<string> order, Func<string, float[]> contents) =>
            new([.. order.Select(name => accelerator.Allocate1D(contents(name)))]);

        public void Dispose()
        {
            foreach (var buffer in buffers)
            {
                buffer.Dispose();
            }
        }
    }

    private static void Invoke(Type launcher, string method, Accelerator accelerator, MemoryBuffer1D<float, Stride1D.Dense>[] buffers)
    {
        var arguments = new object[] { accelerator }.Concat(buffers.Select(buffer => (object)buffer.View.AsContiguous())).ToArray();
        try
        {
            launcher.GetMethod(method)!.Invoke(null, arguments);
        }
        catch (TargetInvocationException exception) when (exception.InnerException is not null)
        {
            throw exception.InnerException;
        }
    }
}
