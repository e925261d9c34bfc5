"""Chinese templates of core's messages (:data:`core.messages.EN`), by code.

Each template has the same placeholders as its English one; values that are messages
themselves are rendered in Chinese before they are filled in (``ui.i18n.say``). Technical
names (file names, model names, commands, parameter names such as ``n_neighbors``) stay
as they are. No streamlit here: tests import this module on its own.
"""

from __future__ import annotations

ZH: dict[str, str] = {
    # core.messages
    "list.semicolons": "{first}；{rest}",
    # core.images
    "image.empty": "文件是空的（0 字节）",
    "image.too_large": "文件有 {mb:.1f} MB，超过了 {limit:.0f} MB 的上限",
    "image.unreadable": "无法读取这个文件（{error}）",
    "image.truncated": "文件不完整或已损坏（{error}）",
    "image.undecodable": "无法解码这张图片（{error}）",
    "image.too_many_pixels": (
        "这张图片有 {pixels:,} 个像素，超过了 {limit:,} 像素的安全上限（防止“解压炸弹”）"
    ),
    "image.too_many_pixels_unknown": (
        "这张图片的像素太多，超过了 {limit:,} 像素的安全上限（防止“解压炸弹”）"
    ),
    "image.postscript": "不接受 PostScript/EPS 文件：打开它需要运行 Ghostscript",
    "image.pdf": "这是 PDF 文档，不是图片",
    "image.zip": "这是 zip 压缩包，不是图片",
    "image.gzip": "这是 gzip 压缩包，不是图片",
    "image.svg": "这是 SVG 矢量图：只支持位图（请先导出为 PNG）",
    "image.html": "这是网页（HTML），不是图片",
    "image.text": "这是文本文件，不是图片",
    "image.unsupported": "不是支持的图片格式（支持：JPEG、PNG、WebP、GIF、BMP、TIFF）",
    "image.animated": "动图：只用了第一帧",
    # core.texts
    "text.not_a_text": "这里需要一段文字，收到的却是 {kind}",
    "text.empty": "文字是空的",
    "text.only_whitespace": "文字里只有空白",
    "text.truncated": "已截断：共 {tokens} 个词元，只有前面一部分被编码",
    # core.datasets
    "zip.not_a_zip": "不是 zip 压缩包（{error}）",
    "zip.too_many_files": "压缩包里有 {count:,} 个文件，上限是 {limit:,} 个",
    "zip.too_large": "压缩包解压后有 {mb:,.0f} MB，上限是 {limit:.0f} MB",
    "zip.unsafe_path": "压缩包里的路径不安全",
    "zip.entry_too_large": "{mb:.0f} MB，超过了上限",
    "zip.entry_unreadable": "无法从压缩包中读出（{error}）",
    "zip.entry_larger_than_header": "实际大小比压缩包记录的更大",
    "dataset.no_label_folder": "没有放在以标签命名的文件夹里",
    "dataset.no_label": "没有标签",
    "dataset.no_such_picture": "上传的图片中没有这个文件名",
    "dataset.extra_files": "另外 {count} 个文件",
    "dataset.too_many_files": "超过了 {limit} 个",
    # core.folders
    "folder.not_allowed": "“{name}”不在允许读取的文件夹之中。",
    "folder.windows_path": "不接受 Windows 风格的路径；文件夹名之间请用 /。",
    "folder.outside": "请填写允许的文件夹里面的子文件夹，不要用“..”，也不要以“/”开头。",
    "folder.link_outside": "这个文件夹是一个链接，指向允许的文件夹之外。",
    "folder.missing": "“{root}”里没有名为“{relative}”的文件夹。",
    "folder.file_link_outside": "这是指向文件夹之外的链接",
    "folder.too_many_files": "超过了 {limit} 个文件",
    "folder.bad_name": "这个文件夹名无法使用：名字太长，或者含有文件名里不能有的字符（例如 NUL）。",
    "folder.link_loop": "这个文件夹是一个链接，绕成了一个循环。",
    "folder.unreadable": "无法读取文件夹“{relative}”（{error}）。",
    "folder.file_link_loop": "这是一个绕成循环的链接",
    "folder.special_file": "这不是普通文件（而是命名管道、套接字或设备）",
    "folder.file_unreadable": "无法读取（{error}）",
    # core.projection
    "projection.unknown_method": "没有“{method}”这种方法；请从这些中选择：{choices}。",
    "projection.bad_components": "n_components 只能是 2 或 3，现在是 {n_components}。",
    "projection.too_few_items": (
        "{n_components} 维地图至少需要 {minimum} 个互不相同的条目，现在只有 {n_samples} 个。"
    ),
    "projection.too_few_neighbors": "n_neighbors 至少要是 2，现在是 {n_neighbors}。",
    "projection.too_many_neighbors": (
        "n_neighbors 必须小于条目数：现在有 {n_samples} 个条目，n_neighbors = {n_neighbors}。"
        "请调小 k，或者多加一些条目。"
    ),
    "projection.hessian_neighbors": (
        "Hessian LLE 要求 n_neighbors > d(d+3)/2 = {bound}（d = {n_components}），"
        "现在 n_neighbors = {n_neighbors}。"
    ),
    "projection.modified_neighbors": (
        "Modified LLE 要求 n_neighbors ≥ n_components，现在 n_neighbors = {n_neighbors}，"
        "n_components = {n_components}。"
    ),
    "projection.not_2d": "需要一个二维的向量数组，收到的形状是 {shape}。",
    "projection.not_finite": "向量中有 NaN 或无穷大的值。",
    "projection.duplicates": (
        "有 {count} 个重复的向量，在地图上共用一个点（LLE 需要互不相同的点）。"
    ),
    "projection.not_fitted": "这张地图还没有计算；请先运行 fit。",
    "projection.cannot_transform": (
        "{method} 不能把新的点放到已算好的地图上；"
        "请把它们加进去重新计算，或者改用 LLE、UMAP 或 PCA。"
    ),
    "projection.bad_landmarks": "landmarks 应该是一个数字或 'auto'，现在是 {landmarks!r}。",
    "projection.landmarks": (
        "先用 {count:,} 个地标点计算地图，其余 {rest:,} 个点用 transform 放上去。"
    ),
    "projection.perplexity_lowered": (
        "因为只有 {n_samples} 个点，t-SNE 的 perplexity 从 {asked:g} 降到了 {used:.1f}。"
    ),
    "projection.failed": (
        "{method} 在 {n_samples} 个点上计算失败（{error}）。"
        "请试试更大的 k（n_neighbors）或更大的 reg。"
    ),
    "projection.dense_fallback": "快速算法没能算完这张地图，已改用较慢但更稳妥的精确算法重新计算。",
    "projection.graph_split": (
        "k = {k} 时，这 {n_samples} 个点的近邻图分成了 {groups} 个互不相连的组，"
        "LLE 会把每一组压成一个点；k ≥ {connects} 时它们才连成一体。"
    ),
    "projection.graph_split_apart": (
        "k = {k} 时，这 {n_samples} 个点的近邻图分成了 {groups} 个互不相连的组，"
        "LLE 会把每一组压成一个点；即使 k = {limit}，它们也连不起来。"
    ),
    "projection.collapsed": (
        "k = {k} 时，LLE 把这 {n_samples} 个点压到了仅仅 {spots} 个位置上；请试试更大的 k。"
    ),
    "projection.k_raised": (
        "{reason}因此地图改用 k = {used} 绘制：这是往上尝试时第一个能把点展开的 k。"
    ),
    "projection.k_raised_best": (
        "{reason}k 一直加到 {limit}（试过的最大值）也没能把点充分展开；"
        "地图用的是试过的 k 中展开得最好的 k = {used}。"
    ),
    # core.emotions
    "labels.not_an_object": '标签集应该是一个 JSON 对象，例如 {{"joy": ["happy", "开心"], ...}}。',
    "labels.bad_count": "标签集需要 2 到 {limit} 个标签，现在有 {count} 个。",
    "labels.bad_id": "标签名必须是非空的文字，现在是 {label!r}。",
    "labels.bad_phrases": "标签“{label}”需要一个包含 1 到 {limit} 个短语的列表。",
    "labels.empty_phrase": "标签“{label}”里有空的或不是文字的短语。",
    "labels.unknown_set": "没有名为“{spec}”的标签集：请用 {choices}，或者一个 JSON 文件的路径。",
    "labels.bad_json": "{file} 不是有效的 UTF-8 JSON 文件（{error}）。",
    "probe.one_label": "线性探针至少需要 2 种标签，现在只有 {count} 种：{labels}。",
    "probe.too_few_examples": "每种标签至少需要 2 个样例；这些太少了：{few}。",
    # core.embedding
    "embedding.different_models": (
        "不能合并 {first!r} 和 {second!r} 的向量：不同模型的向量不在同一个空间里。"
    ),
    "embedding.summary": (
        "已编码 {count} 个（图片 {images} 张，文字 {texts} 段；其中 {cached} 个来自缓存），"
        "拒绝了 {refused} 个"
    ),
    "embedding.no_such_path": "没有这个文件或文件夹",
    # core.registry
    "model.unknown_name": (
        "没有名为“{name}”的模型。可以用：预设模型（{presets}）、ARCH/TAG"
        "（例如 ViT-B-32/laion2b_s34b_b79k）、hf-hub:ORG/REPO、local-dir:FOLDER、"
        "ARCH@CHECKPOINT_FILE 或 ARCH@random。"
    ),
    "model.unknown_arch": (
        "{unknown}“{arch}”不是 open_clip 的模型结构；"
        "运行 `python -m core models --all` 可以列出全部。"
    ),
    "model.bad_suffix": (
        "{arch} 的权重文件“{target}”应该是以下格式之一：{suffixes}（推荐 safetensors）。"
    ),
    "model.unknown_tag": "{arch} 没有名为“{tag}”的预训练版本。可用的版本：{tags}。",
    "model.random": "随机权重：只用于测试和速度评测。",
    "model.local_checkpoint": "本地权重文件 {file}。",
    "model.checkpoint_missing": "权重文件 {file} 不存在。",
    "model.lit_config_unreadable": "无法读取 {folder} 里的 {file}。",
    "model.no_weights": "{name} 缺少权重文件（{file}）。",
    "model.text_tower": "文本编码器：{title}（{package}，{licence}）。",
    "model.loads_from": "从 {folder} 加载。",
    "model.pocket_missing": (
        "自带的 pocket 模型不在 {folder} 里。请从代码仓库恢复"
        "（git checkout -- assets/models），或者用 `python -m core.pocket.train` 重新训练。"
    ),
    "model.folder_incomplete": "{folder} 里需要有 {config} 和一个 .safetensors 权重文件。",
    "model.no_hub": "{name} 在 Hugging Face Hub 上没有下载地址。",
    "model.missing_weights": "{repo} 的权重",
    "model.missing_config": "{repo} 的 {file}",
    "model.missing_transformers": "`transformers` 软件包（pip install transformers）",
    "model.missing_text_tower": "{tower} 文本编码器的配置和分词器",
    "model.cached": "已在本机的 Hugging Face 缓存里（{repo}）。",
    "model.download": (
        "这台电脑上还没有：需要从 Hugging Face Hub 下载约 {mb:,.0f} MB（{missing}）。"
        "联网后运行 `python -m core download {name}`，或者选择自带的 `pocket` 模型离线使用。"
    ),
    "model.download_unsized": (
        "这台电脑上还没有：需要从 Hugging Face Hub 下载（{missing}）。"
        "联网后运行 `python -m core download {name}`，或者选择自带的 `pocket` 模型离线使用。"
    ),
    # core.models
    "model.unavailable": "{name}：{detail}",
    "model.checkpoint_incompatible": (
        "{name}：无法把 {file} 加载到 {arch} 中（{error}）。"
        "请检查这个文件是不是这种结构的 open_clip 权重文件。"
    ),
    "model.no_hub_download": "{name} 在 Hugging Face Hub 上没有可下载的地址。",
    "model.hub_unreachable": (
        "无法下载 {name}：这台电脑连不上 Hugging Face Hub。"
        "请联网后再试，或者使用自带的 `pocket` 模型。"
    ),
    "model.download_failed": (
        "无法从 Hugging Face Hub 下载 {name}（{errors}）。"
        "请检查网络连接，或者离线使用自带的 `pocket` 模型。"
    ),
    "model.needs_transformers": "{name} 需要 `transformers` 软件包：pip install transformers",
    # core.pocket.towers
    "tower.not_installed": (
        "{title} 文本编码器没有安装（{install}；提供安装包的平台：{platforms}）。"
    ),
    "tower.unknown": "没有名为“{name}”的文本编码器；请从这些中选择：{choices}。",
    "tower.none_installed": "pocket 模型需要一个文本编码器：{commands}。",
    # core.images: what is not a regular file, or grew past the limit
    "image.over_limit": "文件超过了 {limit:.0f} MB 的上限",
    "image.is_folder": "这是一个文件夹，不是文件",
    "image.not_a_file": "这不是普通文件（而是设备、管道或套接字），不会读取它",
    # core.embedding: batch size and an unusable cache folder
    "embedding.bad_batch_size": "批大小必须是至少为 1 的整数，收到的是 {value}",
    "embedding.cache_not_a_folder": "缓存文件夹 {folder} 无法使用（{reason}）；本次不使用缓存",
    "embedding.cache_is_a_file": "{path} 不是文件夹",
    "embedding.cache_not_a_folder_itself": "它不是文件夹",
    "embedding.cache_no_access": "无法读取 {path}",
    # core.emotions: label files
    "labels.too_deep": "标签集嵌套太深（超过 {limit} 层）：它应该是一个由短语列表组成的对象。",
    "labels.file_too_large": "{file} 有 {mb:.1f} MB，超过了 {limit:.0f} MB 的上限。",
    "labels.file_over_limit": "{file} 超过了 {limit:.0f} MB 的上限。",
    "labels.not_a_file": "{file} 不是普通文件（而是文件夹、设备或管道）。",
    "labels.unreadable": "无法读取 {file}（{error}）。",
    "labels.phrase_too_long": (
        "标签 {label!r} 有一个 {length} 个字符的短语，超过了 {limit} 个字符的上限。"
    ),
    "labels.duplicate": "标签 {label!r} 出现了两次。",
    "labels.same_but_spaces": "标签 {first!r} 和 {second!r} 只差空格。",
    "room.unknown": "没有房间 {room}：请核对黑板上的房间码。",
    "room.expired": "房间 {room} 已经结束（房间保留 {hours} 小时）。",
    "room.locked": "房间 {room} 已锁定：老师现在不接收句子。",
    "room.full": "房间 {room} 已满（{limit} 句）。",
    "room.busy": "房间 {room} 正在接收很多句子，请一分钟后再试。",
    "room.too_fast": "你在最近一分钟里已经发送了 {limit} 句，请稍等一下。",
    "room.empty_text": "句子是空的。",
    "room.text_too_long": "这个句子有 {length} 个字符，最多接受 {limit} 个。",
    "room.bad_key": "这个教师密钥打不开房间 {room}。",
    "room.no_entry": "房间 {room} 里没有第 {entry} 句。",
    "room.bad_title": "房间标题需要 1 到 {limit} 个字符。",
    # core.store and core.scale: Parquet stores and the Ray engine
    "store.not_a_store": "{path} 不是情绪地图的向量库（{reason}）",
    "store.mixed_models": "{path} 含有不止一个模型的向量（{models}）；一张地图只能用一个模型",
    "store.needs_pyarrow": "读写 .parquet 需要 pyarrow：pip install -r requirements-scale.txt",
    "store.other_model": (
        "{path} 是由 {stored} 嵌入的，不是当前的 {current}：请选择那个模型（--model 或侧边栏）"
    ),
    "scale.needs_ray": (
        "--engine ray 需要 Ray Data，这台机器上没有安装："
        "pip install -r requirements-scale.txt（或 pip install 'ray[data]'）"
    ),
    "scale.bad_workers": "工作进程数必须是至少为 1 的整数，收到的是 {value}",
    "scale.cannot_join": "无法连接到 {address} 的 Ray 集群：{reason}",
}
