using System.Text;
using FastGate.Core.HPack;

namespace FastGate.Core.Tests.HPack;

/// <summary>
/// The dynamic table against a plain list of its entries, newest first: after every addition, eviction,
/// wrap of the ring and of the byte array, and size change, every entry reads back by its index, and the
/// encoder's lookup finds the entry with a field and the newest with a name (and nothing evicted), also
/// when names repeat and when many keys share one hash (long probe runs, pairs moved back on removal).
/// </summary>
public sealed class HPackDynamicTableTests
{
    private sealed class Model
    {
        public readonly List<(string Name, string Value)> Entries = [];
        public int MaxSize;

        public int Size => Entries.Sum(e => e.Name.Length + e.Value.Length + HPackDynamicTable.EntryOverhead);

        public void Add(string name, string value)
        {
            int size = name.Length + value.Length + HPackDynamicTable.EntryOverhead;
            if (size > MaxSize)
            {
                Entries.Clear();
                return;
            }

            while (Size + size > MaxSize)
            {
                Entries.RemoveAt(Entries.Count - 1);
            }

            Entries.Insert(0, (name, value));
        }

        public void SetMaxSize(int maxSize)
        {
            MaxSize = maxSize;
            while (Size > maxSize)
            {
                Entries.RemoveAt(Entries.Count - 1);
            }
        }

        public int FieldIndex(string name, string value) => Entries.IndexOf((name, value)) + 1;

        public int NameIndex(string name) => Entries.FindIndex(e => e.Name == name) + 1;
    }

    private static byte[] Bytes(string s) => Encoding.ASCII.GetBytes(s);

    // Hashes with few distinct values (a byte of the length, and of the string's last character), so
    // that keys collide often.
    private static int NameHash(string name, bool collide) => collide ? name.Length % 3 : name.GetHashCode(StringComparison.Ordinal);

    private static int FieldHash(string name, string value, bool collide) =>
        collide ? (name.Length + value.Length) % 4 : HashCode.Combine(name.GetHashCode(StringComparison.Ordinal), value.GetHashCode(StringComparison.Ordinal));

    private static void Add(HPackDynamicTable table, Model model, string name, string value, bool collide)
    {
        table.Add(Bytes(name), Bytes(value), NameHash(name, collide), FieldHash(name, value, collide));
        model.Add(name, value);
    }

    private static void AssertSame(HPackDynamicTable table, Model model, bool collide, IEnumerable<(string Name, string Value)> probes)
    {
        Assert.Equal(model.Entries.Count, table.Count);
        Assert.Equal(model.Size, table.Size);
        for (int i = 1; i <= model.Entries.Count; i++)
        {
            table.Field(i, out var name, out var value);
            Assert.Equal(model.Entries[i - 1].Name, Encoding.ASCII.GetString(name));
            Assert.Equal(model.Entries[i - 1].Value, Encoding.ASCII.GetString(value));
            Assert.Equal(model.Entries[i - 1].Name, Encoding.ASCII.GetString(table.Name(i)));
        }

        foreach (var (name, value) in probes)
        {
            int field = table.Find(Bytes(name), Bytes(value), NameHash(name, collide), FieldHash(name, value, collide), matchValue: true, out int nameIndex);
            if (model.Entries.Count(e => e == (name, value)) > 1)
            {
                // A field held twice (never in an encoder's table): either entry will do.
                Assert.Equal((name, value), model.Entries[field - 1]);
            }
            else
            {
                Assert.Equal(model.FieldIndex(name, value), field);
            }

            // A field found names itself; else the newest entry with the name.
            Assert.Equal(field != 0 ? field : model.NameIndex(name), nameIndex);

            field = table.Find(Bytes(name), Bytes(value), NameHash(name, collide), FieldHash(name, value, collide), matchValue: false, out nameIndex);
            Assert.Equal(0, field);
            Assert.Equal(model.NameIndex(name), nameIndex);
        }
    }

    private static (string, string) RandomField(Random random)
    {
        // Few names (so they repeat with other values), values of varied lengths.
        string name = "name-" + (char)('a' + random.Next(6)) + new string('n', random.Next(3));
        string value = new string((char)('0' + random.Next(10)), random.Next(0, 40));
        return (name, value);
    }

    [Theory]
    [InlineData(false, 256)]
    [InlineData(true, 256)]
    [InlineData(false, 4096)]
    [InlineData(true, 4096)]
    public void AddsAndEvictions_LookupsMatchAListOfTheEntries(bool collide, int maxSize)
    {
        var table = new HPackDynamicTable(maxSize, indexed: true);
        var model = new Model { MaxSize = maxSize };
        var random = new Random(31);
        var seen = new List<(string, string)>();
        for (int i = 0; i < 3000; i++)
        {
            var (name, value) = RandomField(random);
            seen.Add((name, value));
            if (model.FieldIndex(name, value) == 0)
            {
                // The encoder adds only fields it did not find; a name may well be there already.
                Add(table, model, name, value, collide);
            }

            if (i % 50 == 0 || i > 2950)
            {
                AssertSame(table, model, collide, seen.Skip(Math.Max(0, seen.Count - 200)));
            }
            else
            {
                AssertSame(table, model, collide, [(name, value)]);
            }
        }
    }

    [Fact]
    public void SameFieldAddedAgain_LookupsFindItUntilBothAreEvicted()
    {
        var table = new HPackDynamicTable(200, indexed: true);
        var model = new Model { MaxSize = 200 };
        for (int i = 0; i < 40; i++)
        {
            // A decoder's table may hold a field twice; a lookup finds one of them, and evicting the
            // older one leaves the newer one found.
            Add(table, model, "date", "same", collide: true);
            Add(table, model, "date", "other-" + (i % 3), collide: true);
            AssertSame(table, model, true, [("date", "same"), ("date", "other-0"), ("date", "other-1"), ("date", "other-2"), ("server", "x")]);
        }
    }

    [Fact]
    public void SizeChanges_ShrinkAndGrowTheRing_LookupsStillMatch()
    {
        var table = new HPackDynamicTable(512, indexed: true);
        var model = new Model { MaxSize = 512 };
        var random = new Random(5);
        var seen = new List<(string, string)>();
        int[] sizes = [512, 64, 0, 300, 4096, 100, 16384, 2048, 32, 8192];
        foreach (int size in sizes)
        {
            table.SetMaxSize(size);
            model.SetMaxSize(size);
            AssertSame(table, model, false, seen.TakeLast(100));
            for (int i = 0; i < 400; i++)
            {
                var (name, value) = RandomField(random);
                seen.Add((name, value));
                if (model.FieldIndex(name, value) == 0)
                {
                    Add(table, model, name, value, collide: false);
                }
            }

            AssertSame(table, model, false, seen.TakeLast(100));
        }

        // The ring and the indexes grew to the largest size asked for and never shrink.
        Assert.Equal(2 * (16384 / HPackDynamicTable.EntryOverhead), table.IndexCapacity);
    }

    [Fact]
    public void EntryLargerThanTheTable_EmptiesItAndTheIndexes()
    {
        var table = new HPackDynamicTable(128, indexed: true);
        var model = new Model { MaxSize = 128 };
        Add(table, model, "a", "1", collide: true);
        Add(table, model, "b", "2", collide: true);

        Add(table, model, "big", new string('x', 200), collide: true);

        AssertSame(table, model, true, [("a", "1"), ("b", "2"), ("big", new string('x', 200))]);
        Add(table, model, "b", "2", collide: true);
        AssertSame(table, model, true, [("a", "1"), ("b", "2")]);
    }

    [Fact]
    public void TableWithoutIndexes_ReadsEntriesBackAcrossWraps()
    {
        var table = new HPackDynamicTable(300);
        var model = new Model { MaxSize = 300 };
        var random = new Random(9);
        for (int i = 0; i < 2000; i++)
        {
            var (name, value) = RandomField(random);
            table.Add(Bytes(name), Bytes(value));
            model.Add(name, value);
            Assert.Equal(model.Entries.Count, table.Count);
            table.Field(1, out var newestName, out var newestValue);
            Assert.Equal(model.Entries[0], (Encoding.ASCII.GetString(newestName), Encoding.ASCII.GetString(newestValue)));
            table.Field(table.Count, out var oldestName, out var oldestValue);
            Assert.Equal(model.Entries[^1], (Encoding.ASCII.GetString(oldestName), Encoding.ASCII.GetString(oldestValue)));
        }

        Assert.Equal(0, table.IndexCapacity);
    }
}
