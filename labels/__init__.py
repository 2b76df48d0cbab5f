"""Pack labels and scanning (DESIGN §6); pure: no database, no web framework.

payload   label_url, code_from_text     what the QR code says, and scanned text back to a code
render    LabelInfo, render_png/svg     one label
sheet     render_sheet                  a batch as an A4 PDF
decode    decode_image, find_code       label photos
qr        QrEncoder, QrcodeEncoder      the injectable encoder edge (ZxingEncoder: fast, for batches)
layout    layout_label                  the one layout all three media draw
fonts                                   WenQuanYi Micro Hei, for Chinese and Latin alike
"""
