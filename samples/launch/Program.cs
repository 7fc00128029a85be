// Runs a kernel written by `gensor emit samples/gemm.json --out DIR` (C = A x B,
// 128x128x128) through its launcher, and checks the result on the CPU.
// Build and run it with: dotnet run --project samples/launch -p:Kernel=DIR/kernel.cs
using Gensor.Kernels;
using ILGPU;
using ILGPU.Runtime;
using ILGPU.Runtime.CPU;
using ILGPU.Runtime.Cuda;
using ILGPU.Runtime.OpenCL;

const int M = 128, N = 128, K = 128;
var random = new Random(1);
var a = Enumerable.Range(0, M * K).Select(_ => random.NextSingle() - 0.5f).ToArray();
var b = Enumerable.Range(0, K * N).Select(_ => random.NextSingle() - 0.5f).ToArray();

// A GPU when there is one, else ILGPU's CPU accelerator, shaped like a GPU:
// its default allows only 16 threads per group, fewer than tuned kernels use.
using var context = Context.Create(builder => builder.Cuda().OpenCL().CPU(new CPUDevice(32, 8, 2)).EnableAlgorithms());
using var accelerator = context.GetPreferredDevice(preferCPU: false).CreateAccelerator(context);
using var bufferA = accelerator.Allocate1D(a);
using var bufferB = accelerator.Allocate1D(b);
using var bufferC = accelerator.Allocate1D<float>(M * N);

// The arguments come in launch.json's order: the output, then the inputs.
Gemm.Launch(accelerator, bufferC.View, bufferA.View, bufferB.View);
accelerator.Synchronize();
var c = bufferC.GetAsArray1D();

var worst = 0.0;
for (var i = 0; i < M; i++)
{
    for (var j = 0; j < N; j++)
    {
        var sum = 0.0;
        for (var k = 0; k < K; k++)
        {
            sum += (double)a[i * K + k] * b[k * N + j];
        }
        worst = Math.Max(worst, Math.Abs(sum - c[i * N + j]));
    }
}
Console.WriteLine($"{accelerator.Name}: C = A x B, max abs error {worst:G3}");
return worst < 1e-3 ? 0 : 1;
