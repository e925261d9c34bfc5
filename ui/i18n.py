"""Every user-facing string in English and Chinese; the language follows ``?lang=zh``."""

from __future__ import annotations

import streamlit as st

from core.messages import EN, Message

LANGUAGES = {"en": "English", "zh": "中文"}

_PAIRS: dict[str, tuple[str, str]] = {
    # frame and sidebar
    "app_title": ("Emotion Atlas", "情绪地图"),
    "tagline": ("See how emotion travels from text to images.", "看见情绪如何从文字流向图像。"),
    "language": ("Language", "语言"),
    "model": ("Model", "模型"),
    "ready": ("ready", "可用"),
    "not_ready": ("not available offline", "离线不可用"),
    "model_unavailable": ("This model cannot be used right now.", "当前无法使用这个模型。"),
    "collection": ("Pictures", "图片来源"),
    "download_model": ("Download it now (about {size:,.0f} MB)", "现在下载（约 {size:,.0f} MB）"),
    "downloading": ("Downloading…", "正在下载…"),
    "downloaded": ("Downloaded: the model is ready.", "下载完成：模型已可用。"),
    "source_gallery": ("gallery", "内置图库"),
    "source_uploads": ("my uploads", "我的上传"),
    "source_both": ("both", "两者"),
    "source_folder": ("server folder", "服务器文件夹"),
    "source_store": ("embedding store", "向量库"),
    "store_file": ("Store", "向量库文件"),
    "store_help": (
        "Made by python -m core embed … --out FILE.parquet; its pictures are read only when shown.",
        "由 python -m core embed … --out 文件.parquet 生成；图片只在显示时才读取。",
    ),
    "reading_store": ("Reading the store…", "正在读取向量库…"),
    "allowed_folder": ("Allowed folder", "允许的文件夹"),
    "sub_folder": ("Sub-folder (optional)", "子文件夹（可选）"),
    "sub_folder_help": ("For example class/joy", "例如 class/joy"),
    "upload_pictures": ("Upload pictures", "上传图片"),
    "upload_help": (
        "JPEG, PNG, WebP, GIF, BMP, TIFF, or a zip of them; files that are not pictures are reported and skipped.",
        "支持 JPEG、PNG、WebP、GIF、BMP、TIFF 或它们的 zip 压缩包；不是图片的文件会被列出并跳过。",
    ),
    "upload_over_budget": (
        "Not kept: {names}. Each user may hold {limit} MB of uploads on this shared server "
        "(you hold {held} MB). Remove some files from the list, or upload smaller ones.",
        "未保留：{names}。在这台共享服务器上，每位用户最多保留 {limit} MB 的上传文件"
        "（你已保留 {held} MB）。请从列表中移除一些文件，或上传更小的文件。",
    ),
    "upload_server_full": (
        "Not kept: {names}. The server holds {limit} MB of uploads from all users, its limit; "
        "please try again in a few minutes.",
        "未保留：{names}。服务器已保存所有用户共 {limit} MB 的上传文件，达到上限；请几分钟后再试。",
    ),
    "label_set": ("Emotion labels", "情绪标签"),
    "labels_ekman7": ("Ekman 7 (basic emotions)", "Ekman 七种基本情绪"),
    "labels_mikels8": ("Mikels 8 (picture emotions)", "Mikels 八种图像情绪"),
    "labels_parrott6": ("Parrott 6 (with love)", "Parrott 六种主要情绪（含爱）"),
    "text_tower_in_use": (
        "Bundled offline model. Sentences are read by {title} ({package}).",
        "内置离线模型。句子由 {title}（{package}）读取。",
    ),
    "labels_custom": ("custom (JSON file)", "自定义（JSON 文件）"),
    "custom_labels": ("Label file (JSON)", "标签文件（JSON）"),
    "custom_labels_help": (
        'For example {"cosy": ["cosy", "温馨"], "lonely": ["lonely", "孤独"]}',
        '例如 {"cosy": ["cosy", "温馨"], "lonely": ["lonely", "孤独"]}',
    ),
    "bad_label_file": ("The label file could not be used:", "标签文件无法使用："),
    "presentation_mode": ("Presentation mode", "演示模式"),
    "leave_presentation": ("⤺ Leave presentation mode", "⤺ 退出演示模式"),
    "refused": ("Skipped", "已跳过"),
    "no_pictures": (
        "No pictures yet: choose the gallery or upload some in the sidebar.",
        "还没有图片：请在侧边栏选择内置图库或上传图片。",
    ),
    # pages
    "home": ("Home", "首页"),
    "atlas": ("Atlas", "图文地图"),  # 情绪地图 is the app
    "transfer": ("Transfer", "情绪迁移"),
    "classify": ("Classify", "情绪分类"),
    "learn": ("Learn LLE", "学习 LLE"),
    "export": ("Export", "导出"),
    # home
    "home_intro": (
        "Emotion Atlas puts sentences and pictures into one CLIP space, draws that space as a "
        "map with locally linear embedding (LLE), and shows which pictures carry a sentence's "
        "emotion. Type a sentence in English or Chinese and watch where it lands. Then move a "
        "picture towards that emotion, in the map and in its colours.",
        "情绪地图用 CLIP 把句子和图片放进同一个向量空间，用局部线性嵌入（LLE）把这个空间画成地图，"
        "并展示哪些图片承载了一句话的情绪。输入一句中文或英文，看看它落在哪里；"
        "再把一张图片朝这种情绪推动——在地图上，也在它的色彩里。",
    ),
    "pipeline": ("How it works", "工作原理"),
    "step_tokenise": ("1 · Tokenise the text", "1 · 文本分词"),
    "step_space": ("2 · One shared space", "2 · 共享向量空间"),
    "step_match": ("3 · Match emotion vectors", "3 · 匹配情绪向量"),
    "step_output": ("4 · Emotion + image features", "4 · 输出情绪与图像特征"),
    "step_space_detail": ("text ⟷ image · cos", "文本 ⟷ 图像 · 余弦相似度"),
    "drawing_map": ("Drawing the map…", "正在绘制地图…"),
    "loading_page": (
        "Loading the page's tools (once after a server start)…",
        "正在加载页面所需的工具（服务器启动后仅一次）…",
    ),
    "try_example": ("Try it: “I love you / 我爱你”", "试一试：“我爱你”"),
    "models_heading": ("Models on this machine", "本机的模型"),
    # atlas
    "atlas_title": ("Emotion atlas", "图文地图"),
    "texts": ("Sentences (one per line)", "句子（每行一句）"),
    "texts_help": ("English, Chinese or both.", "中文、英文或混合。"),
    "too_many_texts": ("Only the first {limit} sentences are used.", "只使用前 {limit} 句。"),
    "method": ("Map method", "降维方法"),
    "dimensions": ("Dimensions", "维度"),
    "neighbours_k": ("Neighbours k", "近邻数 k"),
    "k_help": (
        "LLE rebuilds each point from its k nearest neighbours.",
        "LLE 用每个点的 k 个最近邻来重建它。",
    ),
    "regularisation": ("Regularisation", "正则化"),
    "close_gap": ("Close the modality gap", "消除模态鸿沟"),
    "gap_help": (
        "Texts and pictures sit in separate cones of CLIP space; centring each on its own "
        "mean lets texts land among the pictures they resemble.",
        "在 CLIP 空间里文字和图片各占一个锥形区域；把两者各自减去均值后，文字才会落在相似的图片之间。",
    ),
    "fitting_map": ("Drawing the map…", "正在绘制地图…"),
    "umap_preparing": (
        "Preparing UMAP: its code is compiled once after each server start, in the "
        "background; the map follows as soon as that ends…",
        "正在准备 UMAP：每次启动服务器后会在后台编译一次代码，完成后立即绘制地图……",
    ),
    "map_failed": ("The map could not be drawn:", "无法绘制地图："),
    "trustworthiness": ("Trustworthiness", "可信度"),
    "knn_kept": ("Neighbours kept", "近邻保持率"),
    "reconstruction_error": ("Reconstruction error", "重建误差"),
    "time_taken": ("Time", "耗时"),
    "gap_caption": (
        "Distance between the mean picture and the mean text: {before:.2f} before centring, "
        "{after:.2f} after.",
        "图片均值与文本均值的距离：居中前 {before:.2f}，居中后 {after:.2f}。",
    ),
    "selected": ("Selected", "当前选择"),
    "nearest_pictures": ("Nearest pictures", "最相近的图片"),
    "compare_methods": ("Compare all methods", "比较所有方法"),
    "run_comparison": ("Run the comparison", "开始比较"),
    # transfer
    "transfer_title": ("Emotion transfer", "情绪迁移"),
    "your_text": ("Your sentence", "你的句子"),
    "empty_text": ("Type a sentence first.", "请先输入一句话。"),
    "mood_board_size": ("Mood-board size k", "情绪板大小 k"),
    "too_few_for_learn": (
        "Stepping through LLE needs at least 5 pictures; this collection has {count}.",
        "逐步演示 LLE 至少需要 5 张图片；当前只有 {count} 张。",
    ),
    "atlas_too_few": (
        "A map needs at least 5 pictures and sentences together; add pictures (this "
        "collection has {count}) or sentences.",
        "一张地图至少需要 5 个图片和句子；请添加图片（当前只有 {count} 张）或句子。",
    ),
    "too_few_pictures": (
        "Transfer needs at least 4 pictures; this collection has {count}.",
        "情绪迁移至少需要 4 张图片；当前只有 {count} 张。",
    ),
    "text_profile": ("The sentence's emotions", "这句话的情绪"),
    "mood_board": ("Mood board: the pictures this sentence is made of", "情绪板：组成这句话的图片"),
    "board_caption": (
        "Each number is that picture's share of the mix that rebuilds the sentence (the "
        "shares add up to 100 %). A greyed picture with a negative share is one the mix "
        "leans away from, to correct the others. The mix matches the sentence's direction "
        "with cosine {fit:.2f} (1 = exactly), after sentences and pictures are each centred "
        "on their own mean.",
        "每个数字是这张图片在“重建这句话的组合”里所占的份额（合计 100 %）。"
        "变灰且份额为负的图片，是组合为了修正其他图片而“推开”的那一张。"
        "句子和图片各自减去均值后，这个组合与句子方向的余弦相似度为 {fit:.2f}（1 表示完全一致）。",
    ),
    "sentence_cut": (
        "The sentence has {length:,} characters; its first {limit} are used.",
        "这句话有 {length:,} 个字符，只使用前 {limit} 个。",
    ),
    "board_away": ("away", "推开"),
    "story_sentence": ("The sentence reads as", "这句话读出"),
    "story_board": ("Its mood board carries", "情绪板带来"),
    "story_result": ("The re-coloured picture", "重新调色后的图片"),
    "story_not_run": (
        "Run the re-colour at the bottom of the page to see it here.",
        "在页面底部运行重新调色后，结果会显示在这里。",
    ),
    "story_disagree": (
        "The sentence reads as {text}, but the pictures nearest to it mostly show {board}. "
        "The mood board is the pictures closest to the whole sentence in the model's space "
        "(what it is about, its words), not only to its emotion; with few pictures of {text} "
        "near it, the board borrows another emotion.",
        "这句话读出的是{text}，但离它最近的图片大多表现{board}。情绪板选的是在模型空间里离整句话"
        "（它说的内容、用词）最近的图片，而不只看情绪；附近{text}的图片不多时，情绪板就会借来另一种情绪。",
    ),
    "story_other_target": (
        "The re-colour aims at {target}, not at the sentence's own {text}: you chose another "
        "target emotion.",
        "重新调色的目标是{target}，而不是这句话本身的{text}：你选择了另一个目标情绪。",
    ),
    "steering": ("Steering: push a picture towards an emotion", "引导：把图片推向一种情绪"),
    "picture": ("Picture", "图片"),
    "or_upload_one": ("…or re-colour a picture of your own", "……或为你自己的图片调色"),
    "steering_map_k": (
        "This map is drawn with k = {map_k}: at the mood board's k = {k} the pictures' "
        "neighbour graph falls apart and LLE would fold it onto a few dots. The star is "
        "placed by the map's own {map_k} neighbours; the ringed pictures are the mood board.",
        "这张地图用 k = {map_k} 绘制：在情绪板的 k = {k} 下，图片的近邻图会分裂，LLE 会把它压成几个点。"
        "星标按地图自己的 {map_k} 个近邻放置；圈出的图片是情绪板。",
    ),
    "steering_caption": (
        "Steering moves the picture's vector in the model's space, not its pixels: it shows "
        "where a picture with more {target} would lie and which pictures are there. The "
        "re-colour below changes the pixels, and measures how much of that the colours alone "
        "can carry.",
        "引导移动的是图片在模型空间里的向量，而不是像素：它显示一张更具{target}的图片会落在哪里、"
        "那里有哪些图片。下方的重新调色改变的是像素，并测量仅凭颜色能带来多少这种情绪。",
    ),
    "target_emotion": ("Target emotion", "目标情绪"),
    "steering_map": ("Steering path on the map", "地图上的引导路径"),
    "target_probability": ("Target probability", "目标情绪概率"),
    "pixel_transfer": ("Pixel transfer: re-colour the picture", "像素迁移：重新调色"),
    "transfer_method": ("Method", "方法"),
    "method_grade": ("CLIP-guided colour grade", "CLIP 引导调色"),
    "method_reinhard": ("Colours of the mood board (Reinhard)", "借用情绪板的色彩（Reinhard）"),
    "run_transfer": ("Transfer the emotion", "迁移情绪"),
    "optimising": ("Optimising the colour grade…", "正在优化调色…"),
    "before": ("Before", "之前"),
    "after": ("After", "之后"),
    "recolour_already": (
        "The picture already read as {target} before the re-colour, so there was little "
        "left to gain.",
        "调色之前，这张图片就已经读作{target}，能提升的空间很小。",
    ),
    "recolour_weak": (
        "The colours alone moved the model little toward {target}: what the picture shows "
        "(a face, an object) outweighs its colours. A global grade cannot change content; "
        "try another picture, or a target closer to the picture's own mood.",
        "仅靠颜色，模型对{target}的判断变化不大：图片里的内容（一张脸、一个物体）比颜色更有分量。"
        "整体调色无法改变内容；可以换一张图片，或选一个更接近图片本身情绪的目标。",
    ),
    "recolour_away": (
        "These colours made the picture read less as {target}, not more: the mood board's "
        "colours do not carry {target} for this model. Try the CLIP-guided grade.",
        "这些颜色反而让图片更不像{target}：对这个模型来说，情绪板的色彩并不带有{target}。"
        "试试 CLIP 引导调色。",
    ),
    "recolour_weak_reference": (
        "The mood board's colours moved the model little toward {target}: what the picture "
        "shows outweighs its colours. The CLIP-guided grade aims at {target} directly.",
        "情绪板的色彩几乎没有让模型更倾向{target}：图片里的内容比颜色更有分量。"
        "CLIP 引导调色会直接以{target}为目标。",
    ),
    "emo_s_help": ("Target probability after minus before.", "目标情绪概率：之后减去之前。"),
    "clip_i_help": (
        "How much of the picture's content survives (cosine of the two picture embeddings).",
        "图片内容保留了多少（两张图片向量的余弦相似度）。",
    ),
    "download_result": ("Download the result", "下载结果"),
    # classify
    "classify_title": ("Classify emotions", "情绪分类"),
    "zero_shot": (
        "Zero-shot: no training, only the emotion prompts",
        "零样本：无需训练，只用情绪提示词",
    ),
    "top_emotion": ("Top emotion", "主要情绪"),
    "confidence": ("Confidence", "置信度"),
    "linear_probe": (
        "Linear probe: learn from labelled pictures",
        "线性探针：从带标签的图片中学习",
    ),
    "probe_help": (
        "A logistic-regression layer on top of the frozen CLIP features, scored by "
        "stratified k-fold cross-validation.",
        "在冻结的 CLIP 特征之上训练一层逻辑回归，用分层 k 折交叉验证评估。",
    ),
    "labelled_data": ("Labelled pictures", "带标签的图片"),
    "probe_gallery": ("the gallery's own labels", "图库自带的标签"),
    "probe_zip": ("a zip of folders named by label", "按标签命名文件夹的 zip"),
    "probe_csv": ("a CSV of file,label for my uploads", "为我的上传提供 CSV（每行：文件名,标签）"),
    "probe_csv_help": (
        "One row per picture: the uploaded file's name, then its label.",
        "每行一张图片：上传文件名，然后是它的标签。",
    ),
    "gallery_not_selected": (
        "Choose the gallery in the sidebar to use its labels.",
        "请在侧边栏选择内置图库以使用其标签。",
    ),
    "train_probe": ("Train the probe", "训练探针"),
    "probe_failed": ("The probe could not be trained:", "无法训练探针："),
    "probe_accuracy": ("Probe accuracy", "探针准确率"),
    "folds": ("{count}-fold cross-validation", "{count} 折交叉验证"),
    "zero_shot_accuracy": ("Zero-shot accuracy", "零样本准确率"),
    "examples": ("Examples", "样本数"),
    "gallery_is_training_data": (
        "The bundled gallery is drawn from the same sources the pocket model was trained on "
        "(Noto emoji and drawn mood scenes), so accuracy near 100 % here shows what the model "
        "has learnt, not how well it reads pictures it has never seen.",
        "内置图库和 pocket 模型的训练数据来自同样的来源（同一套表情符号字体和绘制的情绪场景），"
        "所以这里接近 100 % 的准确率只说明模型学会了什么，并不代表它对没见过的图片判断得好。",
    ),
    # learn
    "learn_title": ("Learn locally linear embedding", "学习局部线性嵌入"),
    "learn_intro": (
        "LLE rebuilds every point from its nearest neighbours, then looks for a flat map in "
        "which the same weights still rebuild every point. Step through it below.",
        "LLE 先用最近邻重建每个点，再寻找一张平面地图，使同样的权重依然能重建每个点。下面一步步来看。",
    ),
    "dataset": ("Data", "数据"),
    "dataset_s_curve": ("S-curve", "S 形曲面"),
    "dataset_swiss_roll": ("Swiss roll", "瑞士卷"),
    "dataset_embeddings": ("my pictures' embeddings", "我的图片向量"),
    "points": ("Points", "点数"),
    "learn_k_help": (
        "Too small: the map falls apart. Too large: neighbours jump across folds.",
        "太小：地图会碎裂；太大：近邻会跨越褶皱“短路”。",
    ),
    "focus_point": ("Point to inspect", "查看的点"),
    "step_graph": ("1 · Neighbourhood graph", "1 · 近邻图"),
    "step_weights": ("2 · Reconstruction weights", "2 · 重建权重"),
    "step_embedding": ("3 · The embedding", "3 · 嵌入结果"),
    "short_circuits": (
        "{count} neighbour links jump across the sheet at k = {k}.",
        "k = {k} 时有 {count} 条近邻连线跨越了曲面。",
    ),
    "weights_caption": (
        "The weights sum to {total:.2f}; the point is rebuilt with error {error:.3f}.",
        "权重之和为 {total:.2f}；重建误差为 {error:.3f}。",
    ),
    # learn and atlas: LLE maps that fold, k sliders, the comparison's colours
    "weights_labels": (
        "The figure writes the {count} largest weights; hover over a neighbour for its own.",
        "图上只写出最大的 {count} 个权重；把鼠标移到某个近邻上即可看到它的权重。",
    ),
    "compare_k_raised": (
        "At k = {k} LLE folds these points onto a few spots (their neighbour graph falls "
        "apart), so these maps are drawn with a larger k: {methods}.",
        "k = {k} 时近邻图会断开，LLE 会把这些点压成少数几个点，所以这些地图改用了更大的 k：{methods}。",
    ),
    "colour_position": ("position along the sheet", "沿曲面的位置"),
    "unrolled": ("Unrolled (|Spearman|)", "展开程度（|Spearman|）"),
    "unrolled_help": (
        "How well one map axis follows the position along the sheet (1 = perfectly).",
        "地图的某一轴与曲面上位置的一致程度（1 为完美）。",
    ),
    # export
    "export_title": ("Export", "导出"),
    "download_csv": ("Embeddings and emotions (CSV)", "向量与情绪（CSV）"),
    "download_npz": ("Embeddings and emotions (NPZ)", "向量与情绪（NPZ）"),
    "download_html": (
        "The atlas as a standalone web page (HTML)",
        "图文地图网页（HTML，可离线打开）",
    ),
    "html_sentences": ("Sentences on the map", "地图上的句子"),
    "export_caption": (
        "{count} pictures and {texts} sentences; the atlas uses the Atlas page's settings "
        "({method}, k = {k}).",
        "共 {count} 张图片、{texts} 个句子；地图使用“图文地图”页的设置（{method}，k = {k}）。",
    ),
    "downloads_off": (
        "Downloads are switched off on this server; the operator can fetch the model with "
        "`python -m core download`.",
        "本服务器已关闭模型下载；管理员可以用 `python -m core download` 下载模型。",
    ),
    "pocket_photos": (
        "The bundled pocket model knows emoji and mood scenes, not photographs: its emotions "
        "for your own photos are guesses. For photos choose a pretrained model (e.g. "
        "ViT-B-32) in the sidebar, once its weights are on this computer.",
        "内置的 pocket 模型只认识表情符号和情绪场景，不认识照片：它对你自己照片的情绪判断只是猜测。"
        "识别照片请在侧边栏选择预训练模型（例如 ViT-B-32），前提是它的权重已在这台电脑上。",
    ),
    "uploads_lost": (
        "Your uploaded pictures are gone: the server restarted, and uploads live only in its "
        "memory. Please upload them again.",
        "你上传的图片已丢失：服务器重启过，而上传的图片只保存在内存中。请重新上传。",
    ),
    "busy_queued": (
        "⏳ The server is busy: your request is number {ahead} in the queue.",
        "⏳ 服务器正忙：你的请求在队列中排第 {ahead} 位。",
    ),
    # progress while embedding
    "embedding_gallery": ("Embedding the gallery", "正在编码图库"),
    "embedding_uploads": ("Embedding uploads", "正在编码上传的图片"),
    "embedding_folder": ("Embedding the folder", "正在编码文件夹中的图片"),
    "embedding_labelled": ("Embedding the labelled pictures", "正在编码带标签的图片"),
    "model_ready": ("Ready on this server.", "已在本服务器上就绪。"),
    "model_needs_download": (
        "Its weights are not on this server yet.",
        "本服务器上还没有这个模型的权重。",
    ),
    # core messages that name a file or folder on the server: a browser is told what is
    # wrong, never where (``say`` uses these in place of core's own templates)
    "browser_model.loads_from": ("Stored on this server.", "已存放在本服务器上。"),
    "browser_model.local_checkpoint": ("A checkpoint on this server.", "本服务器上的权重文件。"),
    "browser_model.checkpoint_missing": (
        "Its checkpoint file is missing on this server.",
        "本服务器上缺少它的权重文件。",
    ),
    "browser_model.pocket_missing": (
        "The bundled pocket model is missing on this server; the operator can restore it "
        "from the repository.",
        "本服务器上缺少内置的 pocket 模型；管理员可以从代码仓库恢复它。",
    ),
    "browser_model.folder_incomplete": (
        "Its folder on this server is incomplete.",
        "它在本服务器上的文件夹不完整。",
    ),
    "browser_model.lit_config_unreadable": (
        "Its settings file on this server cannot be read.",
        "无法读取它在本服务器上的配置文件。",
    ),
    "browser_model.checkpoint_incompatible": (
        "{name}: its checkpoint on this server does not fit the {arch} architecture.",
        "{name}：本服务器上的权重文件与 {arch} 结构不匹配。",
    ),
    # map methods (names of algorithms stay as they are known)
    "projection_lle": ("LLE (standard)", "LLE（标准）"),
    "projection_lle-modified": ("LLE (modified)", "LLE（改进）"),
    "projection_lle-hessian": ("LLE (Hessian)", "LLE（海森）"),
    "projection_lle-ltsa": ("LTSA", "LTSA（局部切空间）"),
    "projection_umap": ("UMAP", "UMAP"),
    "projection_tsne": ("t-SNE", "t-SNE"),
    "projection_pca": ("PCA", "PCA"),
    # words inside figures
    "fig_texts": ("texts", "文本"),
    "fig_mood_board": ("mood board", "情绪板"),
    "fig_points": ("points", "点"),
    "fig_point": ("chosen point", "选中的点"),
    "fig_neighbours": ("neighbours", "近邻"),
    "fig_knn_graph": ("k-NN graph", "k 近邻图"),
    "fig_predicted": ("predicted", "预测"),
    "fig_true": ("true", "真实"),
    "fig_text": ("text", "文本"),
    "fig_newest": ("newest", "最新"),
    # classroom rooms: the teacher's page and the students' Join page
    "classroom": ("Classroom", "课堂"),
    "join": ("Join", "加入课堂"),
    "classroom_intro": (
        "Start a room: students scan the code with their phones, type a sentence, and it "
        "lands on this map as a star among the pictures, read by the model.",
        "开一个课堂房间：学生用手机扫码、输入一句话，它就会作为一颗星落在这张图片地图上，由模型读出情绪。",
    ),
    "room_title": ("Room title", "房间标题"),
    "room_title_default": ("Our feelings today", "我们今天的心情"),
    "start_room": ("Start a room", "开始房间"),
    "room_uses": (
        "The room reads sentences with the sidebar's model ({model}) and labels ({labels}).",
        "房间使用侧边栏选定的模型（{model}）和情绪标签（{labels}）来读句子。",
    ),
    "open_room": ("Open a room I started", "打开我开过的房间"),
    "room_code": ("Room code", "房间码"),
    "teacher_key": ("Teacher key", "教师密钥"),
    "open": ("Open", "打开"),
    "teacher_key_note": (
        "Your teacher key (keep it; it is needed to reopen, moderate and export this room):",
        "你的教师密钥（请保存；重新打开、管理和导出房间都需要它）：",
    ),
    "scan_to_join": ("Scan to join", "扫码加入"),
    "or_open": ("or open {url}", "或打开 {url}"),
    "url_is_local": (
        "This address only works on this computer. For phones, start the dashboard with "
        "`make demo ADDRESS=0.0.0.0 PUBLIC_URL=http://<this computer's address>:8501` on the "
        "room's network (README, “Running it for a room”).",
        "这个地址只能在本机打开。要让手机访问，请在教室网络上用 "
        "`make demo ADDRESS=0.0.0.0 PUBLIC_URL=http://<本机地址>:8501` 启动（见 README 中讲课堂的一节）。",
    ),
    "live_map": ("Live map", "实时地图"),
    "tally": ("The class's emotions", "全班的情绪"),
    "sentences_count": ("{count} sentences", "{count} 句"),
    "no_sentences_yet": (
        "No sentences yet: they appear here within seconds.",
        "还没有句子：学生发送后几秒内就会出现在这里。",
    ),
    "moderation": ("Moderation", "管理"),
    "hide_sentence": ("Hide a sentence", "隐藏一句"),
    "hide": ("Hide", "隐藏"),
    "show_again": ("Show again", "重新显示"),
    "hidden_sentences": ("Hidden sentences", "已隐藏的句子"),
    "lock_room": ("Room locked (no new sentences)", "锁定房间（不再接收新句子）"),
    "clear_room": ("Delete every sentence", "删除所有句子"),
    "clear_confirm": ("Yes, delete them", "确定删除"),
    "cleared": ("Deleted {count} sentences.", "已删除 {count} 句。"),
    "export_room": ("Download the sentences (CSV)", "下载所有句子（CSV）"),
    "leave_room": ("Close this room's view", "关闭房间视图"),
    "join_title": ("Join the class", "加入课堂"),
    "join_enter_code": ("Type the room code from the board", "输入黑板上的房间码"),
    "your_sentence": ("Your sentence", "你的句子"),
    "your_sentence_help": (
        "English or Chinese, up to 280 characters.",
        "中文或英文，最多 280 个字符。",
    ),
    "your_name": ("Your name (optional, shown on the board)", "你的名字（可不填，会显示在大屏上）"),
    "send": ("Send", "发送"),
    "your_picture": ("A picture (optional)", "一张图片（可选）"),
    "newest_picture": ("Newest picture", "最新的图片"),
    "sent_read": (
        "Sent. The model reads: {emotion} ({share:.0%}).",
        "已发送。模型读出的情绪：{emotion}（{share:.0%}）。",
    ),
    "your_entries": ("Your sentences", "你发送的句子"),
    "room_model_missing": (
        "This room's model is not available on the server any more.",
        "服务器上已经没有这个房间使用的模型了。",
    ),
    "k_too_large": ("k = {k} needs more than {n} points.", "k = {k} 需要多于 {n} 个点。"),
    "presentation_hint": (
        "For a projector, switch on presentation mode in the sidebar: larger type, no sidebar.",
        "投影时可在侧边栏打开演示模式：字体更大，隐藏侧边栏。",
    ),
}

STRINGS: dict[str, dict[str, str]] = {key: {"en": en, "zh": zh} for key, (en, zh) in _PAIRS.items()}


# Not a widget key: the language radio's own state does not survive st.switch_page
# (measured: Home's "Try it" opened Transfer in English), this copy does.
LANGUAGE_KEY = "ui_language"


def current_language() -> str:
    """The UI language: the sidebar's choice, else ``?lang=`` in the URL, else English."""
    state = st.session_state
    lang = state.get("language") or state.get(LANGUAGE_KEY) or st.query_params.get("lang", "en")
    return lang if lang in LANGUAGES else "en"


def t(key: str) -> str:
    """The string ``key`` in the current language."""
    return STRINGS[key][current_language()]


def translated(prefix: str, options: list[str]):
    """A ``format_func`` showing ``t(f"{prefix}_{option}")``, fixed to the current language.

    The lookup happens now, inside the script run: a format function that reads the
    language later (outside the run) could show another language than the page.
    """
    names = {option: t(f"{prefix}_{option}") for option in options}
    return names.__getitem__


def say(message) -> str:
    """A core message (or an exception carrying one) in the current language.

    Core reports :class:`~core.messages.Message` objects: a code and values with English
    text. In Chinese the template comes from ``ui/messages_zh.py``; values that are
    messages themselves are rendered the same way. A message that names a file or folder on
    the server is said without it (the ``browser_`` strings above), in either language.
    Anything else is shown as it is.
    """
    if isinstance(message, BaseException):
        message = message.args[0] if message.args else type(message).__name__
    if not isinstance(message, Message):
        return str(message)
    language = current_language()
    browser = STRINGS.get(f"browser_{message.code}")
    if browser is not None:
        template = browser[language]
    elif language == "en":
        template = EN[message.code]  # its parts may be messages said without a path
    else:
        from ui.messages_zh import ZH

        template = ZH.get(message.code)
    if template is None:
        return str(message)
    values = {k: say(v) if isinstance(v, Message) else v for k, v in message.values.items()}
    return template.format(**values)


# Visible words inside figures; core.plots takes them as parameters.
FIGURE_WORDS = (
    "texts",
    "mood_board",
    "points",
    "point",
    "neighbours",
    "knn_graph",
    "predicted",
    "true",
    "text",
    "newest",
)


def figure_words() -> dict[str, str]:
    """The words :mod:`core.plots` draws inside figures, in the current language."""
    return {word: t(f"fig_{word}") for word in FIGURE_WORDS}


def language_switch(label_visibility: str = "visible") -> None:
    codes = list(LANGUAGES)
    chosen = st.radio(
        t("language"),
        codes,
        index=codes.index(current_language()),
        format_func=LANGUAGES.get,
        horizontal=True,
        key="language",
        label_visibility=label_visibility,
    )
    st.session_state[LANGUAGE_KEY] = chosen
    st.query_params["lang"] = chosen  # a shared link opens in the same language
