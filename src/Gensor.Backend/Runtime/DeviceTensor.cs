using System.Runtime.InteropServices;
using Gensor.Etir;
using ILGPU;
using ILGPU.Runtime;

namespace Gensor.Backend.Runtime;

/// <summary>
/// A tensor's buffer on the device in its element type: float32, ILGPU
/// <c>Half</c> for f16, <c>ushort</c> bits for bf16. The host side is always
/// float32; uploads round to the type (to nearest even), downloads widen exactly.
/// </summary>
internal sealed class DeviceTensor : IDisposable
{
    private readonly MemoryBuffer _buffer;

    private DeviceTensor(ElementType type, MemoryBuffer buffer, object view)
    {
        Type = type;
        _buffer = buffer;
        View = view;
    }

    public ElementType Type { get; }

    /// <summary>The kernel argument: an <c>ArrayView1D</c> of the element type.</summary>
    public object View { get; }

    /// <summary>The device address of the first element, a <see cref="Launch.LaunchAddress"/> argument (a host address on the CPU accelerator, where kernels never read it).</summary>
    public long Address => _buffer.NativePtr.ToInt64();

    /// <summary>A buffer of <paramref name="elements"/> elements (at least one: ILGPU allocates nothing for zero).</summary>
    public static DeviceTensor Allocate(Accelerator accelerator, ElementType type, long elements)
    {
        var length = Math.Max(1, elements);
        switch (type)
        {
            case ElementType.F32:
            {
                var buffer = accelerator.Allocate1D<float>(length);
                return new DeviceTensor(type, buffer, buffer.View);
            }
            case ElementType.F16:
            {
                var buffer = accelerator.Allocate1D<ILGPU.Half>(length);
                return new DeviceTensor(type, buffer, buffer.View);
            }
            case ElementType.BF16:
            {
                var buffer = accelerator.Allocate1D<ushort>(length);
                return new DeviceTensor(type, buffer, buffer.View);
            }
            default:
                throw new ArgumentOutOfRangeException(nameof(type), type, null);
        }
    }

    /// <summary>Copies <paramref name="values"/> to the device, rounded to the element type.</summary>
    public void Upload(float[] values)
    {
        switch (_buffer)
        {
            case MemoryBuffer1D<float, Stride1D.Dense> floats:
                floats.CopyFromCPU(values);
                break;
            case MemoryBuffer1D<ILGPU.Half, Stride1D.Dense> halves:
                // ILGPU's Half holds the IEEE binary16 bits, so .NET's rounding (to nearest even) is reused.
                halves.CopyFromCPU(MemoryMarshal.Cast<ushort, ILGPU.Half>(Bits(values)).ToArray());
                break;
            case MemoryBuffer1D<ushort, Stride1D.Dense> bits:
                bits.CopyFromCPU(Bits(values));
                break;
        }
    }

    /// <summary>The device's values, widened to float32.</summary>
    public float[] Download() => _buffer switch
    {
        MemoryBuffer1D<float, Stride1D.Dense> floats => floats.GetAsArray1D(),
        MemoryBuffer1D<ILGPU.Half, Stride1D.Dense> halves => Floats(MemoryMarshal.Cast<ILGPU.Half, ushort>(halves.GetAsArray1D()).ToArray()),
        MemoryBuffer1D<ushort, Stride1D.Dense> bits => Floats(bits.GetAsArray1D()),
        _ => throw new InvalidOperationException("unknown buffer"),
    };

    private ushort[] Bits(float[] values) => values.Select(value => Type.ToBits(value)).ToArray();

    private float[] Floats(ushort[] bits) => bits.Select(value => Type.FromBits(value)).ToArray();

    /// <summary>Queues zeros over the whole buffer on <paramref name="stream"/> (a kernel that adds into its output starts from them).</summary>
    public void Clear(AcceleratorStream stream) => _buffer.MemSet(stream, 0, 0, _buffer.LengthInBytes);

    public void Dispose() => _buffer.Dispose();
}
