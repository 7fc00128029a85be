using System.Collections;
using System.Collections.Immutable;
using System.Runtime.InteropServices;

namespace Gensor.Etir;

/// <summary>
/// An immutable array with structural equality, so that records holding lists
/// (a schedule's tile sizes, an index's terms) compare and hash by content.
/// The construction graph keys its states by such records.
/// </summary>
public readonly struct ValueArray<T> : IReadOnlyList<T>, IEquatable<ValueArray<T>>
{
    private readonly ImmutableArray<T> _items;

    public ValueArray(IEnumerable<T> items) => _items = items.ToImmutableArray();

    private ValueArray(ImmutableArray<T> items) => _items = items;

    public static ValueArray<T> Empty => new(Array.Empty<T>());

    private ImmutableArray<T> Items => _items.IsDefault ? ImmutableArray<T>.Empty : _items;

    public int Count => Items.Length;

    public T this[int index] => Items[index];

    public ReadOnlySpan<T> AsSpan() => Items.AsSpan();

    /// <summary>A copy with one element replaced.</summary>
    public ValueArray<T> SetItem(int index, T value)
    {
        // The construction graph makes its neighbours this way, thousands per operator: one copy, no
        // detour through IEnumerable (which cost a quarter of a cold construction in ReadyToRun code).
        var items = Items.AsSpan().ToArray();
        items[index] = value;
        return new(ImmutableCollectionsMarshal.AsImmutableArray(items));
    }

    /// <summary>
    /// A struct enumerator: a foreach over a value array allocates nothing and makes no interface
    /// calls (the boxed enumerator of an immutable array of integers is also a framework generic that
    /// no ReadyToRun image holds, which a fresh process compiled in the JIT).
    /// </summary>
    public Enumerator GetEnumerator() => new(Items);

    IEnumerator<T> IEnumerable<T>.GetEnumerator() => ((IEnumerable<T>)Items).GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => ((IEnumerable<T>)Items).GetEnumerator();

    /// <summary>Enumerates a <see cref="ValueArray{T}"/> in order.</summary>
    public struct Enumerator
    {
        private readonly ImmutableArray<T> _items;
        private int _index;

        internal Enumerator(ImmutableArray<T> items)
        {
            _items = items;
            _index = -1;
        }

        public readonly T Current => _items[_index];

        public bool MoveNext() => ++_index < _items.Length;
    }

    public bool Equals(ValueArray<T> other) => Items.AsSpan().SequenceEqual(other.Items.AsSpan());

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
