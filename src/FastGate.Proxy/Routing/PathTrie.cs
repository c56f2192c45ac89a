namespace FastGate.Proxy.Routing;

/// <summary>
/// The exact and prefix path conditions of every host bucket, as one radix trie per bucket
/// stored in shared flat arrays. A walk costs one step per edge on the path, so matching does
/// not grow with the number of routes. Immutable once built; safe to read from any thread.
/// </summary>
/// <remarks>
/// Edges are labelled with byte runs; every configured path ends exactly at a node (edges are
/// split on insert). Each node keeps the route ids whose exact path or prefix is the node's key,
/// in file order, and the nearest strict ancestor that has prefix routes, so the matcher visits
/// the matching prefixes longest first without a stack.
/// </remarks>
internal sealed class PathTrie
{
    private readonly Node[] _nodes;
    private readonly byte[] _labels;
    private readonly byte[] _childFirstBytes;
    private readonly int[] _childNodes;
    private readonly int[] _routeIds;

    private PathTrie(Node[] nodes, byte[] labels, byte[] childFirstBytes, int[] childNodes, int[] routeIds)
    {
        _nodes = nodes;
        _labels = labels;
        _childFirstBytes = childFirstBytes;
        _childNodes = childNodes;
        _routeIds = routeIds;
    }

    public int NodeCount => _nodes.Length;

    /// <summary>
    /// Follows <paramref name="path"/> from <paramref name="root"/>. <paramref name="exactNode"/> is
    /// the node whose key equals the path and has exact routes, or -1; <paramref name="prefixNode"/>
    /// is the deepest node whose key is a prefix of the path and has prefix routes, or -1.
    /// </summary>
    public void Walk(int root, ReadOnlySpan<byte> path, out int exactNode, out int prefixNode)
    {
        Node[] nodes = _nodes;
        int node = root;
        int pos = 0;
        exactNode = -1;
        prefixNode = -1;
        while (true)
        {
            ref readonly Node n = ref nodes[node];
            if (n.PrefixCount != 0)
            {
                prefixNode = node;
            }

            if (pos == path.Length)
            {
                if (n.ExactCount != 0)
                {
                    exactNode = node;
                }

                return;
            }

            int k = _childFirstBytes.AsSpan(n.ChildStart, n.ChildCount).IndexOf(path[pos]);
            if (k < 0)
            {
                return;
            }

            int child = _childNodes[n.ChildStart + k];
            ref readonly Node c = ref nodes[child];
            if (!path[pos..].StartsWith(_labels.AsSpan(c.LabelStart, c.LabelLength)))
            {
                return;
            }

            pos += c.LabelLength;
            node = child;
        }
    }

    public ReadOnlySpan<int> ExactRoutes(int node)
    {
        ref readonly Node n = ref _nodes[node];
        return _routeIds.AsSpan(n.ExactStart, n.ExactCount);
    }

    public ReadOnlySpan<int> PrefixRoutes(int node)
    {
        ref readonly Node n = ref _nodes[node];
        return _routeIds.AsSpan(n.PrefixStart, n.PrefixCount);
    }

    /// <summary>The nearest strict ancestor with prefix routes, or -1.</summary>
    public int PrefixParent(int node) => _nodes[node].PrefixParent;

    private struct Node
    {
        public int LabelStart;
        public int LabelLength;
        public int ChildStart;
        public int ChildCount;
        public int ExactStart;
        public int ExactCount;
        public int PrefixStart;
        public int PrefixCount;
        public int PrefixParent;
    }

    /// <summary>A mutable trie of one bucket, used only while building.</summary>
    internal sealed class BuildNode
    {
        public byte[] Label = [];
        public List<BuildNode>? Children;
        public List<int>? Exact;
        public List<int>? Prefix;

        /// <summary>Adds <paramref name="routeId"/> under <paramref name="key"/>; call in file order.</summary>
        public void Insert(ReadOnlySpan<byte> key, bool prefix, int routeId)
        {
            BuildNode node = this;
            int pos = 0;
            while (pos < key.Length)
            {
                ReadOnlySpan<byte> rest = key[pos..];
                BuildNode? child = node.FindChild(rest[0], out int index);
                if (child is null)
                {
                    child = new BuildNode { Label = rest.ToArray() };
                    (node.Children ??= []).Add(child);
                    node = child;
                    break;
                }

                int common = rest.CommonPrefixLength(child.Label);
                if (common < child.Label.Length)
                {
                    // The key leaves (or ends inside) this edge: split it so the key ends at a node.
                    var middle = new BuildNode { Label = child.Label[..common], Children = [child] };
                    child.Label = child.Label[common..];
                    node.Children![index] = middle;
                    child = middle;
                }

                node = child;
                pos += common;
            }

            (prefix ? node.Prefix ??= [] : node.Exact ??= []).Add(routeId);
        }

        private BuildNode? FindChild(byte first, out int index)
        {
            List<BuildNode>? children = Children;
            if (children is not null)
            {
                for (int i = 0; i < children.Count; i++)
                {
                    if (children[i].Label[0] == first)
                    {
                        index = i;
                        return children[i];
                    }
                }
            }

            index = -1;
            return null;
        }
    }

    /// <summary>Flattens the tries of all buckets into one <see cref="PathTrie"/>.</summary>
    internal sealed class Builder
    {
        private readonly List<Node> _nodes = [];
        private readonly List<byte> _labels = [];
        private readonly List<byte> _childFirstBytes = [];
        private readonly List<int> _childNodes = [];
        private readonly List<int> _routeIds = [];
        private readonly Stack<(BuildNode Node, int Index, int PrefixParent)> _pending = new();

        /// <summary>Copies a bucket's trie in; returns its root node index.</summary>
        public int Add(BuildNode root)
        {
            int rootIndex = NewNode();
            _pending.Push((root, rootIndex, -1));
            // Iterative, so a deep trie (long configured paths) cannot overflow the stack.
            while (_pending.Count != 0)
            {
                (BuildNode b, int index, int prefixParent) = _pending.Pop();
                Node n = default;
                n.LabelStart = _labels.Count;
                n.LabelLength = b.Label.Length;
                _labels.AddRange(b.Label);
                n.ExactStart = _routeIds.Count;
                n.ExactCount = b.Exact?.Count ?? 0;
                if (b.Exact is not null)
                {
                    _routeIds.AddRange(b.Exact);
                }

                n.PrefixStart = _routeIds.Count;
                n.PrefixCount = b.Prefix?.Count ?? 0;
                if (b.Prefix is not null)
                {
                    _routeIds.AddRange(b.Prefix);
                }

                n.PrefixParent = prefixParent;
                int childPrefixParent = n.PrefixCount != 0 ? index : prefixParent;
                n.ChildStart = _childNodes.Count;
                n.ChildCount = b.Children?.Count ?? 0;
                if (b.Children is not null)
                {
                    foreach (BuildNode child in b.Children)
                    {
                        int childIndex = NewNode();
                        _childFirstBytes.Add(child.Label[0]);
                        _childNodes.Add(childIndex);
                        _pending.Push((child, childIndex, childPrefixParent));
                    }
                }

                _nodes[index] = n;
            }

            return rootIndex;
        }

        public PathTrie ToTrie() =>
            new([.. _nodes], [.. _labels], [.. _childFirstBytes], [.. _childNodes], [.. _routeIds]);

        private int NewNode()
        {
            _nodes.Add(default);
            return _nodes.Count - 1;
        }
    }
}
