using System.Collections;

namespace Gensor.Etir;

/// <summary>
/// An immutable array with structural equality, so that records holding lists
/// (a schedule's tile sizes, an index's terms) compare and hash by content.
/// The construction graph keys its states by such records.
/// </summary>
public readonly struct ValueArray<T> : IReadOnlyList<T>, IEquatable<ValueArray<T>>
{
    // A private array that nothing writes after construction, rather than an ImmutableArray: the
    // construction reads tile sizes millions of times, and a fresh process runs ReadyToRun code, which
    // does not inline calls into System.Collections.Immutable (another version bubble). Batch-32
    // ResNet-50's s4_conv3x3 for h100, fresh process without the JIT profile (a first run): construction
    // 148 -> 106 ms (least of 10 runs); with the profile (later runs) the difference is within the noise.
    private readonly T[]? _items;

    public ValueArray(IEnumerable<T> items) => _items = [.. items];

    // Keeps the array it is given (the public constructor copies): the flag only tells the two apart.
    private ValueArray(T[] items, bool owned) => _items = items;

    public static ValueArray<T> Empty => default;

    private T[] Items => _items ?? [];

    public int Count => Items.Length;

    public T this[int index] => Items[index];

    public ReadOnlySpan<T> AsSpan() => Items;

    /// <summary>A copy with one element replaced.</summary>
    public ValueArray<T> SetItem(int index, T value)
    {
        // The construction graph makes its neighbours this way, thousands per operator: one copy, no
        // detour through IEnumerable.
        var items = (T[])Items.Clone();
        items[index] = value;
        return new(items, owned: true);
    }

    /// <summary>
    /// A struct enumerator: a foreach over a value array allocates nothing and makes no interface calls.
    /// </summary>
    public Enumerator GetEnumerator() => new(Items);

    IEnumerator<T> IEnumerable<T>.GetEnumerator() => ((IEnumerable<T>)Items).GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => Items.GetEnumerator();

    /// <summary>Enumerates a <see cref="ValueArray{T}"/> in order.</summary>
    public struct Enumerator
    {
        private readonly T[] _items;
        private int _index;

        internal Enumerator(T[] items)
        {
            _items = items;
            _index = -1;
        }

        public readonly T Current => _items[_index];

        public bool MoveNext() => ++_index < _items.Length;
    }

    public bool Equals(ValueArray<T> other) => AsSpan().SequenceEqual(other.AsSpan());

    public override bool Equals(object? obj) => obj is ValueArray<T> other && Equals(other);

    public override int GetHashCode()
    {
        var hash = new HashCode();
        foreach (var item in Items)
        {
            hash.Add(item);
        }
        return hash.ToHashCode();
    }

    public static bool operator ==(ValueArray<T> left, ValueArray<T> right) => left.Equals(right);

    public static bool operator !=(ValueArray<T> left, ValueArray<T> right) => !left.Equals(right);

    public static implicit operator ValueArray<T>(T[] items) => new(items);

    public override string ToString() => string.Join(",", Items);
}

/// <summary>Factory helpers for <see cref="ValueArray{T}"/>.</summary>
public static class ValueArray
{
    public static ValueArray<T> From<T>(IEnumerable<T> items) => new(items);

    public static ValueArray<T> Of<T>(params T[] items) => new(items);
}
